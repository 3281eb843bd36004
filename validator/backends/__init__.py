"""The orchestrators: the one interface every backend meets (``protocol.py``), each backend behind it
(``containers.py``, ``swarm.py``) and their registry (``registry.py``). ``check``, ``plan``, ``up`` and
``down`` reach an engine only through a backend chosen here."""
