"""Grades from signals, and which criteria apply to which turn.

Signal grades are instant and deterministic. When a model judge is
configured its grade for a criterion replaces the signal's on the same turn;
when neither can judge a criterion, it is `ungraded`, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import Criterion, Rubric
from .records import Grade
from .signals import POSITIVE, SIGNALS, SignalContext, SignalResult, run_all, sentence_spans


def applies(criterion: Criterion, *, after_objection: bool) -> bool:
    """Whether a criterion is judged on a rep turn (end-of-call ones are judged on the call)."""
    if criterion.applies == "end-of-call":
        return False
    if criterion.applies == "after-objection":
        return after_objection
    return True


def analyse(text: str, buyer_last: str, rep_before: Iterable[str], *,
            max_discount_percent: float | None = None, list_price: float | None = None) -> dict[str, SignalResult]:
    ctx = SignalContext(buyer_last=buyer_last, rep_before=tuple(rep_before),
                        max_discount_percent=max_discount_percent, list_price=list_price)
    signals = run_all(text, ctx)
    repeated = signals["repeats-earlier-line"]
    if repeated.hit and (repeated.value or 0) < 1.0:
        # Repeated sentences earn nothing; what is new in the turn is graded on its own.
        # The repeated sentences are blanked in place, so positions (and evidence) stay the rep's words.
        fresh = list(text)
        for start, end in sentence_spans(text):
            if text[start:end] in repeated.evidence:
                fresh[start:end] = " " * (end - start)
        blanked = "".join(fresh)
        for name in POSITIVE:
            if blanked.strip():
                r = SIGNALS[name](blanked, ctx)
                evidence = []
                for e in r.evidence:
                    at = blanked.find(e)
                    evidence.append(text[at : at + len(e)] if at >= 0 else e)
                signals[name] = type(r)(r.name, r.hit, tuple(evidence), r.detail, r.value)
    return signals


def _earns_nothing(c_signal: str, signals: dict[str, SignalResult]) -> str | None:
    """Why a positive signal's hit does not count on this turn, if it does not."""
    if signals.get("talks-to-grader") is not None and signals["talks-to-grader"].hit:
        return "spoke to the grading, not to the buyer: that earns nothing"
    repeated = signals.get("repeats-earlier-line")
    result = signals[c_signal]
    if repeated is not None and repeated.hit and repeated.value == 1.0:
        return "repeated an earlier turn: it earns nothing the second time"
    if c_signal in POSITIVE and repeated is not None and repeated.hit and result.hit and (all(
            any(e in r or r in e for r in repeated.evidence) for e in result.evidence)):
        return f"repeated an earlier line ({result.detail}): it earns nothing the second time"
    return None


def signal_grades(rubric: Rubric, signals: dict[str, SignalResult], *,
                  after_objection: bool) -> list[Grade]:
    """One grade per applicable criterion that has a signal."""
    out = []
    for c in rubric.criteria:
        if c.signal is None or not applies(c, after_objection=after_objection):
            continue
        result = signals[c.signal]
        passed = result.hit if c.signal in POSITIVE else not result.hit
        nothing = _earns_nothing(c.signal, signals) if passed else None
        if nothing is not None:
            if c.applies == "once-per-call":  # shown (or not) elsewhere; this turn adds nothing
                out.append(Grade(criterion=c.id, verdict="n/a", score=None, reason=nothing, source="signal"))
            else:
                out.append(Grade(criterion=c.id, verdict="fail", score=0.0, reason=nothing, source="signal"))
            continue
        if passed and c.signal_mode == "fail-only":
            continue  # the signal saw no failure; whether it passed is for the judge
        if c.signal == "open-question" and not passed and signals["next-step-ask"].hit \
                and c.applies == "every-rep-turn" and not after_objection:
            # Asking for the meeting is a yes/no question by nature: the turn that makes the ask
            # is not a missed open question (a manager would not mark it down). With a concern on
            # the table it is: the ask then steps round the objection instead of exploring it.
            out.append(Grade(criterion=c.id, verdict="n/a", score=None, source="signal",
                             reason="this turn asks for a next step, where a yes/no question is right"))
            continue
        if c.applies == "once-per-call" and not passed and c.signal in POSITIVE:
            # Not doing a once-per-call behaviour on this turn is not a fail yet.
            out.append(Grade(criterion=c.id, verdict="n/a", score=None,
                             reason=f"not on this turn ({result.detail})", source="signal"))
            continue
        evidence = list(result.evidence) if result.hit else []
        out.append(Grade(criterion=c.id, verdict="pass" if passed else "fail",
                         score=1.0 if passed else 0.0, evidence=evidence,
                         reason=result.detail, source="signal"))
    return out


def effective(grades: Iterable[Grade]) -> dict[str, Grade]:
    """Per criterion, the grade that counts: a judge's valid grade over a signal's."""
    best: dict[str, Grade] = {}
    for g in grades:
        have = best.get(g.criterion)
        if have is None:
            best[g.criterion] = g
        elif g.source == "judge" and g.verdict != "ungraded":
            best[g.criterion] = g
        elif have.source == "judge" and have.verdict == "ungraded" and g.source == "signal":
            best[g.criterion] = g  # the judge failed: the instant signal still stands
    return best


_PUSHBACK = re.compile(
    r"""(?:
      ^\W*no\b(?![\s,]+(?:idea|never|problem|worries|rush|,?\s*that's|it's\s+fine))
    | \b(?:too|way\s+too|pretty|really)\s+(?:expensive|much|high|pricey|steep|risky|complicated|early|late|soon)
    | \bmore\s+than\s+(?:double|twice|we\s+(?:pay|spend|budgeted))|\b(?:double|twice|triple)\s+(?:what|the)\b
    | \b(?:cheaper|half\s+(?:this|that|the\s+price)|quoted\s+us|hard\s+to\s+beat|for\s+free|offered\s+us)\b
    | \bwhy\s+would\s+(?:I|we)\b | \bout\s+of\s+(?:line|budget|the\s+question)\b | \bno\s+budget\b
    | \b(?:can'?t|cannot|couldn'?t|won'?t|wouldn'?t)\s+(?:afford|justify|do|walk|hand|have|approve|buy|see|take|sign|
        spare|pull|get|make|move|commit|go|put|risk|touch|start|add|deal)\b
    | \bnot\s+(?:interested|a\s+priority|now|this\s+(?:quarter|year|month)|happening|going\s+to|signing|my\s+call|
        the\s+(?:guy|person|one)|sure\s+(?:it|that|this|we|I)|pulling|a\s+problem\s+we|even\s+close|in\s+the\s+budget|for\s+us|
        something\s+we|ready|convinced|buying|worth)\b
    | \bisn'?t\s+(?:my\s+call|happening|a\s+priority|going\s+to|where|for\s+us|worth)\b
    | \b(?:don'?t|doesn'?t|didn'?t)\s+(?:need|see|think|care|want|get|have\s+(?:time|the|budget|room)|really\s+(?:get|need|see)|
        answer|tell|take|buy|trust|believe|matter)\b
    | \b(?:just\s+)?send\s+(?:me|it|over|us)\b|\bemail\s+(?:me|it)\b|^\W*email\W*$|\bin\s+an\s+email\b|\bbrochure\b|one-pager
    | \b(?:I'?ll|let\s+me)\s+(?:review|look|take\s+a\s+look|think|run\s+it|socialize|circle|get\s+back|check\s+with|talk\s+to\s+(?:the|my))
    | \bcircle\s+back\b|\bget\s+back\s+to\s+you\b|\brevert\b|\bnext\s+(?:quarter|year|fiscal)\b|\bin\s+(?:september|q[1-4]|the\s+new\s+year)\b
    | \bwe(?:'re|\s+are)\s+(?:fine|good|happy|all\s+set|ok(?:ay)?|covered|not\s+(?:ready|looking|interested))\b
    | \b(?:it|that|this)\s+works\.?\s*$|\bwe(?:'ve|\s+have)\s+(?:done\s+fine|got\s+a\s+system|managed|survived)|\bwe\s+survived\b
    | \bkeeps?\s+up\b|\bhandles?\s+it\s+fine\b|\binside\s+out\b|\bnot\s+a\s+problem\s+we\s+have\b
    | \balready\s+(?:have|use|pay|got|own|run)\b
    | \b(?:every\s+vendor|everyone(?:'s|\s+says)|heard\s+(?:the|that|it)\s+(?:pitch|before)|heard\s+that\s+before|all\s+the\s+same)\b
    | \bstill\s+(?:double|too|more|september|no|not)\b|\bit'?s\s+still\b|^\W*still\b
    | \b(\w+(?:-\w+)?)\s+is\s+\1\b
    | \b(?:maxed\s+out|underwater|buried|slammed\s+(?:thr|until)|enough\s+on\s+(?:their|my|our)\s+plate|no\s+time|
        don'?t\s+have\s+time|worst\s+(?:possible\s+)?(?:time|month)|bad\s+time|froze|frozen|freeze|budget\s+season|forget\s+(?:it|march|about))\b
    | \b(?:tried|burned|hated|back\s+on\s+paper|last\s+rep|over\s+my\s+head|doesn'?t\s+take\s+vendor|trusts\s+me,?\s+not|
        decide\s+what\s+(?:she|he|they)\s+sees?|who\s+eats|what\s+happens\s+to\s+(?:my|our)|you'?re\s+a\s+startup|
        possibly|dodging|try\s+again|rather\s+you\s+didn'?t|please\s+don'?t|I'?m\s+out|don'?t\s+ask)\b
    | \b(?:your|those)\s+(?:customers|references|branches)\s+(?:aren'?t|are\s+(?:your|the\s+mess))
    | \b(?:wasn'?t|isn'?t|not)\s+(?:real|the\s+real)\b|\b(?:actual|real)\s+(?:price|number|cost)\b
    | \bif\s+you\s+found\s+it\b|\byou\s+haven'?t\b|\bright\.\s*$|^\W*(?:mm|hm+|typically|maybe)\b[.,]
    | \bwhy\s+(?:should|would|do)\s+(?:I|we)\b|\bwhat'?s\s+in\s+it\s+for\b|\bbut\s+(?:it'?s\s+not|not)\b
    | \b(?:I|we|they|she|he|it|that|this|you)\s+(?:\w+\s+)?(?:don'?t|doesn'?t|can'?t|won'?t|isn'?t|aren'?t|haven'?t|
        wouldn'?t|couldn'?t|shouldn'?t|never)\b(?!\s+(?:hurt|be\s+(?:bad|a\s+problem)|mind))
    | ^\W*but\b|\bbut\s+(?:I|we|it|that|this|the|my|our|honestly|frankly)\b(?![^.]*\b(?:can|could|will|would)\s+(?:make|live|try|see))
    | \b(?:worried|concerned|nervous|sceptical|skeptical|doubt|risky|risk|expensive|pricey|costly)\b
    | \b(?:I'm|I\s+am|we're|we\s+are|they're|they\s+are|it's|that's|he's|she's|you're)\s+not\b(?!\s+sure\s+(?:of|how\s+many|what))
    | \b(?:nobody|no\s+one|non-starter|deal-?breaker|rather\s+not|not\s+at\s+this\s+time|slow\s+down|you\s+can\s+try|
        couldn'?t\s+be\s+worse|heard\s+(?:that|this)\s+one|that'?s\s+it\.?$|aren'?t\s+mine|convince)\b
    )""",
    re.IGNORECASE | re.VERBOSE | re.MULTILINE)
# A line that settles its own concern ("it's higher than I hoped, but I can make the case") is not one.
_SETTLED = re.compile(
    r"""^\W*(?:yes|yeah|sure|great|perfect|absolutely|ok(?:ay)?)\b[^.?!]*\bsend\b|\b(?:but\s+I\s+can\s+(?:make|live|see)|not\s+crazy|that\s+helps|(?:a\s+lot\s+)?less\s+than\s+I\s+(?:assumed|thought)|
    not\s+an\s+issue|(?:could|can)\s+live\s+with|is\s+doable|that'?s\s+smart|makes\s+sense|sounds\s+good|let'?s\s+do\s+it|
    works\s+for\s+me|(?:I'?m|we'?re)\s+in\b|fair\s+enough|in\s+the\s+range|I'?d\s+like\s+to\s+(?:see|call|try)|
    not\s+(?:that|too)\s+risky|that'?s\s+a\s+formality|we\s+can\s+do\s+it|go\s+ahead|I'?ll\s+(?:bring|send\s+(?:her|him|them)\s+an?\s+invite))\b""",
    re.IGNORECASE | re.VERBOSE)


def looks_like_objection(buyer_line: str) -> bool:
    """For a pasted call, where no state says so: whether the buyer's line pushes back (or presses
    or repeats an objection, which keeps it open for the rep's next answer)."""
    text = buyer_line.replace("\u2019", "'")
    if not text.strip() or _SETTLED.search(text):
        return False
    return bool(_PUSHBACK.search(text))
