"""The scorecard: weighted score per criterion and overall, where each point was lost, and the ONE
thing to practise next.

A score is a claim about the rep's behaviour, so it says what it rests on: a pass or fail against
the rubric is given only when the graded criteria carry enough of the rubric's weight, and every
point lost names the turn where it was lost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from .text import clip

if TYPE_CHECKING:  # a saved scorecard is read back (home's first paint) without pydantic
    from ..models import Rubric
    from .records import Grade, Turn

ENOUGH_WEIGHT = 0.6
"""The share of the rubric's weight that graded criteria must carry before the score is called a
pass or a fail. Below it the score is shown, marked as resting on too little."""


@dataclass
class Lost:
    """Where points were lost on one criterion: a rep turn (index), or the whole call (None)."""

    turn: int | None
    reason: str
    quote: str = ""
    rep_turn: int | None = None  # the rep's own count ("your 3rd turn"), what people are shown

    @property
    def where(self) -> str:
        return f"turn {self.rep_turn or self.turn}" if self.turn is not None else "across the call"


@dataclass
class Flag:
    """Something a sales manager must hear about whatever the score: a discount past the rep's
    authority, a line to the grader, obeying a brush-off, repeated lines."""

    turn: int
    kind: str
    detail: str
    quote: str = ""
    rep_turn: int | None = None  # the rep's own count, what people are shown

    @property
    def shown(self) -> int:
        return self.rep_turn or self.turn


FLAG_NAMES = {
    "discount-beyond-authority": "Hold the price within your authority",
    "complies-with-brush-off": "Keep the conversation when told 'just send it'",
    "talks-to-grader": "Talk to the buyer, not the grader",
    "repeats-earlier-line": "Say something new each turn",
}
FLAG_TIPS = {
    "discount-beyond-authority": "A discount past your authority needs approval, and offering it unasked "
                                 "tells the buyer the first number wasn't real.",
    "complies-with-brush-off": "Agree to send it, then keep the call: ask what they'd look for in it "
                               "and who else should see it.",
    "talks-to-grader": "Every line is to the buyer; lines to the grading earn nothing.",
    "repeats-earlier-line": "A repeated line earns nothing; build on what the buyer just said.",
}
# A flag that costs the business more than any missed nicety leads the practise-next choice.
OUTRANKS = ("discount-beyond-authority", "complies-with-brush-off", "talks-to-grader")


@dataclass
class CriterionScore:
    id: str
    name: str
    weight: float
    score: float | None  # 0-1; None when nothing could grade it (or it never applied)
    passes: int = 0
    fails: int = 0
    ungraded: int = 0
    tip: str = ""
    evidence: list[str] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)
    applied: bool = True  # False: the criterion never applied to this call (n/a)
    ungraded_why: str = ""  # why it is ungraded, when it is: no model judge, or what went wrong with it

    lost_share: float = 0.0  # sum of (1 - score) over the turns that lost points (never shown: 1)

    @property
    def points_lost(self) -> float:
        """Weight times how often (and how badly) it failed in this call."""
        return 0.0 if self.score is None else self.weight * self.lost_share


@dataclass
class Scorecard:
    rubric: str
    score: float | None  # 0-100; None when nothing was graded
    passed: bool | None  # None: not enough was graded to call it (see graded_share)
    passing_score: float
    criteria: list[CriterionScore]
    strengths: list[str]
    practise_next: str | None  # criterion id (or a flag kind, see FLAG_NAMES)
    practise_tip: str = ""
    practise_scenario: str | None = None
    practise_name: str = ""
    practise_why: str = ""
    graded_share: float = 0.0  # the share of the rubric's weight the score rests on
    enough_share: float = ENOUGH_WEIGHT
    flags: list[Flag] = field(default_factory=list)
    note: str = ""  # why a pass is withheld, in plain words

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Scorecard:
        """A saved scorecard (older ones lack the newer fields, which then take their defaults)."""
        known = {f for f in cls.__dataclass_fields__}
        d = {"rubric": "", "score": None, "passed": None, "passing_score": 0.0, "strengths": [],
             "practise_next": None} | {k: v for k, v in data.items() if k in known}
        # A card saved by an older version (or written by hand) may lack a field: its default, or
        # for the required ones a neutral value (weight 1, name from the id, no score).
        needed = {"id": "", "name": "", "weight": 1.0, "score": None}
        d["criteria"] = [CriterionScore(**{**needed, "name": c.get("name") or c.get("id", ""),
                                           **{k: v for k, v in c.items() if k in CriterionScore.__dataclass_fields__},
                                           "lost": [Lost(**{k: v for k, v in x.items()
                                                            if k in Lost.__dataclass_fields__})
                                                    for x in c.get("lost", [])]})
                         for c in data.get("criteria", [])]
        d["flags"] = [Flag(**{k: v for k, v in f.items() if k in Flag.__dataclass_fields__})
                      for f in data.get("flags", [])]
        card = cls(**d)
        if "graded_share" not in data and card.criteria:
            # Saved before scores said what they rest on: work it out, and withhold a pass it can't back.
            total = sum(c.weight for c in card.criteria) or 1.0
            card.graded_share = round(sum(c.weight for c in card.criteria if c.score is not None) / total, 3)
            if card.graded_share < ENOUGH_WEIGHT and card.score is not None:
                card.passed = None
        return card

    @property
    def practise_label(self) -> str:
        if self.practise_name:
            return self.practise_name
        return next((c.name for c in self.criteria if c.id == self.practise_next), self.practise_next or "")

    def verdict_words(self) -> str:
        """The score and what it may be called, in plain words: never a pass it cannot back up."""
        if self.score is None:
            return "No criterion could be graded."
        words = f"Behaviour score {self.score:.0f}/100"
        if self.passed is None:
            # Too little graded: the number leads nothing, so it is not the headline.
            return f"Behaviour score: too little graded to call it a pass or a fail ({self.score:.0f}/100 on that part)"
        if self.passed is True:
            return words + f": passed the rubric (needs {self.passing_score:g})"
        if self.passed is False:
            return words + (f": below the rubric's {self.passing_score:g}" if self.score < self.passing_score
                            else ": not a pass")

    def summary_lines(self) -> list[str]:
        """The scorecard for a plain terminal: verdict, what it rests on, where points went, flags, next."""
        out = [self.verdict_words()]
        if self.note:
            out.append(self.note)
        for f in self.flags:
            if f.kind in OUTRANKS:
                out.append(f"! Turn {f.shown}: {f.detail}" + (f' ("{clip(f.quote, 80)}")' if f.quote else ""))
        for c in self.criteria:
            if c.score is None:
                state = "n/a (never applied)" if not c.applied else f"ungraded ({c.ungraded_why or OFFLINE_WHY})"
                out.append(f"  {c.name}: {state}")
                continue
            out.append(f"  {c.name}: {c.score * 100:.0f}%")
            for lost in c.lost[:3]:
                where = f"at {lost.where}" if lost.turn is not None else lost.where
                out.append(f"      lost {where}: {lost.reason}")
        if self.practise_next:
            out.append(f"Practise next: {self.practise_label}. {self.practise_tip}"
                       + (f" (why: {self.practise_why})" if self.practise_why else ""))
        return out


OFFLINE_WHY = "needs a model judge"


def ungraded_why(grades: list[Grade]) -> str:
    """Why these ungraded grades are ungraded, in a few words: no judge configured, or the
    configured judge failed, and how (the reason it gave most often)."""
    reasons = [g.reason for g in grades if g.reason and "offline" not in g.reason]
    if not grades or not reasons:
        return OFFLINE_WHY if grades else ""
    top = max(set(reasons), key=reasons.count)
    return "the judge failed: " + clip(top.removeprefix("the judge "), 120).rstrip(".")


def build(rubric: Rubric, turns: list[Turn], call_grades: list[Grade] = (), *,
          outcome: str | None = None, flags: list[Flag] | None = None) -> Scorecard:
    """Score a call from its turns' grades (and grades on the whole call, for end-of-call criteria)."""
    from .grading import effective

    flags = list(flags or [])
    numbers = {t.index: n for n, t in enumerate((t for t in turns if t.speaker == "rep"), 1)}
    for f in flags:
        f.rep_turn = f.rep_turn or numbers.get(f.turn)
    per: dict[str, list[tuple[int | None, Grade]]] = {c.id: [] for c in rubric.criteria}
    rep_turns = [t for t in turns if t.speaker == "rep"]
    number = {t.index: n for n, t in enumerate(rep_turns, 1)}  # transcript index -> the rep's count
    for turn in rep_turns:
        for g in effective(turn.grades).values():
            if g.criterion in per:
                per[g.criterion].append((turn.index, g))
    for g in effective(call_grades).values():
        if g.criterion in per:
            per[g.criterion].append((None, g))

    rows = []
    for c in rubric.criteria:
        graded = per[c.id]
        grades = [g for _, g in graded]
        scored = [(i, g) for i, g in graded if g.verdict in ("pass", "fail") and g.score is not None]
        row = CriterionScore(
            id=c.id, name=c.name, weight=c.weight, score=None, tip=c.tip,
            passes=sum(g.verdict == "pass" for g in grades),
            fails=sum(g.verdict == "fail" for g in grades),
            ungraded=sum(g.verdict == "ungraded" for g in grades),
            evidence=[e for g in grades if g.verdict == "pass" for e in g.evidence][:3],
        )
        row.ungraded_why = ungraded_why([g for g in grades if g.verdict == "ungraded"])
        row.lost = [Lost(i, g.reason or f"missed: {c.name}", g.evidence[0] if g.evidence else "",
                         number.get(i) if i is not None else None)
                    for i, g in scored if g.score < 1]
        row.lost_share = sum(1 - g.score for _, g in scored if g.score < 1)  # type: ignore[operator]
        if c.applies == "once-per-call":
            # Shown once is enough; never shown in a call that was graded is a miss, lost across the call.
            if any(g.verdict == "pass" for _, g in scored):
                row.score = max(g.score for _, g in scored)  # type: ignore[type-var]
                row.lost = []
                row.lost_share = 0.0
            elif scored:
                row.score = max(g.score for _, g in scored)  # type: ignore[type-var]
            elif any(g.verdict == "n/a" for g in grades):
                row.score = 0.0
                row.fails = 1
                row.lost_share = 1.0
                turns_seen = [number[i] for i, g in graded if i is not None and i in number]
                span = (f"turns {turns_seen[0]}-{turns_seen[-1]}" if len(turns_seen) > 1 else
                        f"turn {turns_seen[0]}" if turns_seen else "the call")
                row.lost = [Lost(None, f"never shown in {span} ({c.description.strip().split('.')[0].lower()})")]
        elif scored:
            row.score = sum(g.score for _, g in scored) / len(scored)  # type: ignore[misc]
        # Applied: graded either way, judged but ungraded, or a once-per-call miss; only n/a is not.
        row.applied = bool(scored) or row.ungraded > 0 or bool(row.lost)
        rows.append(row)

    graded_rows = [r for r in rows if r.score is not None]
    total = sum(r.weight for r in rows) or 1.0
    weight = sum(r.weight for r in graded_rows)
    share = weight / total
    score = round(100 * sum(r.weight * r.score for r in graded_rows) / weight, 1) if weight else None  # type: ignore[operator]
    passed: bool | None = None if score is None else score >= rubric.passing_score
    note = ""
    if score is not None and share < ENOUGH_WEIGHT:
        passed = None
        signal_of = {c.id: c.signal for c in rubric.criteria}
        ungraded_names = [r.name for r in rows if r.score is None and (r.applied or signal_of[r.id] is None)]
        note = (f"The score rests on {len(graded_rows)} of {len(rows)} criteria, {share:.0%} of the rubric's "
                f"weight ({ENOUGH_WEIGHT:.0%} is needed to call it a pass or a fail)")
        judge_failed = any(r.ungraded_why.startswith("the judge failed") for r in rows if r.score is None)
        if ungraded_names and judge_failed:  # a judge is configured; it failed, it is not missing
            note += f"; the judge failed on these, so they are ungraded: {', '.join(ungraded_names)}."
        else:
            note += (f"; a model judge would add: {', '.join(ungraded_names)}." if ungraded_names else ".")
    if outcome == "walked-away" and passed:
        passed = False
        note = "The buyer walked away, so this call is not a pass, whatever the behaviour score."
    serious_flags = [f for f in flags if f.kind in OUTRANKS]
    if serious_flags and passed:
        f = serious_flags[0]
        passed = False
        note = (f"Turn {f.rep_turn or f.turn}: {f.detail}. That alone keeps this call from a pass, "
                "whatever the behaviour score.")
    strengths = [r.id for r in sorted(graded_rows, key=lambda r: -(r.score or 0) * r.weight)
                 if (r.score or 0) >= 0.75][:3]

    # The ONE behaviour: a costly flag first, else what cost the most points in this call
    # (weight x how often it failed), else the weakest graded one, else what a model would grade.
    card = Scorecard(rubric=rubric.id, score=score, passed=passed, passing_score=rubric.passing_score,
                     criteria=rows, strengths=strengths, practise_next=None, graded_share=round(share, 3),
                     flags=flags, note=note)
    serious = [f for kind in OUTRANKS for f in flags if f.kind == kind]
    costly = sorted((r for r in graded_rows if r.points_lost > 0),
                    key=lambda r: (-r.points_lost, -r.weight))
    if serious:
        f = serious[0]
        linked = next((r for r in rows if f.kind == "discount-beyond-authority"
                       and any(c.id == r.id and c.signal == "discount-offered" for c in rubric.criteria)), None)
        card.practise_next = linked.id if linked else f.kind
        card.practise_name = FLAG_NAMES[f.kind]
        card.practise_tip = FLAG_TIPS[f.kind]
        card.practise_why = f"turn {f.shown}: {f.detail}"
    elif costly:
        r = costly[0]
        card.practise_next, card.practise_name, card.practise_tip = r.id, r.name, r.tip
        where = ", ".join(x.where for x in r.lost if x.turn is not None) or "across the call"
        card.practise_why = f"cost the most points in this call ({where})"
    elif graded_rows:
        r = min(graded_rows, key=lambda r: (r.score, -r.weight))  # type: ignore[arg-type, return-value]
        card.practise_next, card.practise_name, card.practise_tip = r.id, r.name, r.tip
        card.practise_why = "every graded criterion passed; this is the one to make stronger still"
    else:
        pass
    if card.practise_next is None or (not serious and not costly):
        ungraded_rows = [r for r in rows if r.score is None and r.applied]
        if ungraded_rows and (card.practise_next is None or all((r.score or 0) >= 1 for r in graded_rows)):
            r = max(ungraded_rows, key=lambda r: r.weight)
            card.practise_next, card.practise_name, card.practise_tip = r.id, r.name, r.tip
            card.practise_why = ("everything that could be graded passed; this one needs a model judge "
                                 "to grade, so practise it with one")
    return card


def flags_for(turns: list[Turn], *, max_discount_percent: float | None = None,
              list_price: float | None = None) -> list[Flag]:
    """The moments a manager must hear about, found again by the signals on each rep turn."""
    from .grading import analyse

    out: list[Flag] = []
    buyer_last, before = "", []
    for t in turns:
        if t.speaker == "buyer":
            buyer_last = t.text or buyer_last
            continue
        signals = analyse(t.text, buyer_last, before, max_discount_percent=max_discount_percent,
                          list_price=list_price)
        before.append(t.text)
        out += flags_from(t.index, signals)
    return out


def flags_from(turn_index: int, signals: dict) -> list[Flag]:  # noqa: ANN001 - name -> SignalResult
    """The flags of one rep turn, from the signals already worked out for it."""
    out = []
    for kind in FLAG_NAMES:
        r = signals[kind]
        if r.hit and (kind != "repeats-earlier-line" or r.value == 1.0):
            out.append(Flag(turn_index, kind, r.detail, r.evidence[0] if r.evidence else ""))
    return out
