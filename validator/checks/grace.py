"""``restart_grace``'s allowance: one spell per container over the run, a second is a crash loop.

A spell is a death, OOM kill or unhealthy spell the container came back from (a ``start``, or
``healthy``): an unhealthy spell and a death within it (or an OOM kill and its death) are one spell,
two deaths never are (a crash loop restarts between them). The allowance is one budget per container,
spent by every piece of evidence of a spell, once (round-3 review, v9 case 02: each piece once had
its own allowance, so a crash before the run and one during it passed):

- ``unseen``: restarts by its policy the engine counted (``RestartCount``) and the run did not see —
  a crash loop that began before the run, up whenever it is looked at (graph5 case 02);
- ``early``: spells the run saw before the container was ready, which ``up``'s wait forgave;
- the spells during the watch (``Grace.tolerates``), with what the two above left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validator.engine.watch import ContainerWatch, Happening

# A grace is for a spell now and then (a database that restarts once while it initialises), not for a
# crash loop whose every death is followed by a start in time: one spell per container and run.
SPELLS = 1


@dataclass(kw_only=True)
class Spell:
    """From the first bad happening (engine time) to the comeback; ``died``: a death is in it."""

    start: float
    end: float
    died: bool

    def takes(self, at: float, dies: bool) -> bool:
        """Whether a bad happening at ``at`` is of this spell: within it, and no second death."""
        return self.start <= at <= self.end and not (dies and self.died)


@dataclass(frozen=True, kw_only=True)
class Spent:
    """The spells spent before the watch of one container began. Without a grace nothing is forgiven:
    an unseen restart fails, and what ``up``'s wait saw was ``up``'s to fail (it fails a death)."""

    unseen: int = 0
    early: tuple[Spell, ...] = ()
    grace: float | None = None

    @classmethod
    def of(cls, watch: ContainerWatch, since: float, grace: float | None) -> Spent:
        unseen = max(0, watch.restart_count - watch.counted_restarts())
        if grace is None:
            return cls(unseen=unseen)
        return cls(unseen=unseen, early=tuple(_early(watch, since, grace)), grace=grace)

    @property
    def total(self) -> int:
        return self.unseen + len(self.early)

    def where(self) -> str:
        counts = ((self.unseen, "before the run"), (len(self.early), "before it was ready"))
        return "(" + ", ".join(f"{n} {what}" for n, what in counts if n) + ")"


def _early(watch: ContainerWatch, since: float, grace: float) -> list[Spell]:
    """The spells the run saw before ``since``: deaths its restart policy brought back (a death ``up``
    caused, followed by its ``stop``, is none) and unhealthy spells, merged as one spell is. A spell
    lasts the grace at most, as one during the watch does: an unhealthy spell ``up`` did not wait out
    (it waited for ``running``) forgives no death a minute later."""
    restarts = [(died, back) for died, back in watch.policy_restarts() if died.seen_at < since]
    found = [Spell(start=died.at, end=min(back.at, died.at + grace), died=True) for died, back in restarts]
    for h in watch.happenings:
        if h.seen_at < since and h.health == "unhealthy":
            back = next((x.at for x in watch.happenings if x.at > h.at and x.health == "healthy"), h.at)
            found.append(Spell(start=h.at, end=min(back, h.at + grace), died=False))
    merged: list[Spell] = []
    for spell in sorted(found, key=lambda s: s.start):
        last = merged[-1] if merged else None
        if last is not None and last.takes(spell.start, spell.died):
            last.end, last.died = max(last.end, spell.end), last.died or spell.died
        else:
            merged.append(Spell(start=spell.start, end=spell.end, died=spell.died))
    return merged


@dataclass(kw_only=True)
class Grace:
    """What ``restart_grace`` tolerates of one container's watch: a death, OOM kill or unhealthy spell
    it came back from (``start``, or ``healthy``) within the grace, while the allowance lasts."""

    later: list[Happening]
    grace: float | None
    spent: Spent = field(default_factory=Spent)
    used: list[Spell] = field(default_factory=list)
    refused: bool = False  # a spell it came back from in time, failed for want of allowance

    def __post_init__(self) -> None:
        self.used = [Spell(start=s.start, end=s.end, died=s.died) for s in self.spent.early]

    def tolerates(self, bad: Happening) -> bool:
        back = self._comeback(bad)
        if back is None:
            return False
        dies = bad.action == "die"
        for spell in self.used:
            if spell.takes(bad.at, dies):  # an OOM kill and its death, a death while unhealthy: one spell
                spell.end, spell.died = max(spell.end, back.at), spell.died or dies
                return True
        if self.spent.unseen + len(self.used) >= SPELLS:
            self.refused = True
            return False
        self.used.append(Spell(start=bad.at, end=back.at, died=dies))
        return True

    def _comeback(self, bad: Happening) -> Happening | None:
        if self.grace is None:
            return None
        wanted = "healthy" if bad.action == "health_status" else "start"
        for h in self.later:
            if h.at <= bad.at:
                continue
            if h.at - bad.at > self.grace:
                return None
            if (wanted == "start" and h.action == "start") or (wanted == "healthy" and h.health == "healthy"):
                return h
        return None
