"""The Swarm backend: the spec's services as Swarm services of a stack named after the project.

``desired`` builds the service specs (pure), ``api`` owns the Swarm calls, ``plan`` compares
desired with observed field by field (pure), ``tasks`` reads task lists into replica counts,
timings and reasons (pure), ``wait`` follows the engine until every desired task is ready, and
``reconcile`` puts them together behind the backend interface of ``validator.backends.protocol``.
"""
