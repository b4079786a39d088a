"""Signals: deterministic detectors that grade a rep's turn instantly, with no model.

Each signal is a pure function ``(text, ctx) -> SignalResult``: no I/O, no state,
standard library only. Regular expressions are compiled once, at import.

Evidence is always made of exact substrings of the rep's text (whole sentences,
trimmed), so the engine can quote the rep's own words and highlight them.

Matching is done on a copy of the text in which curly quotes and long dashes are
replaced, one character for one character, by their plain forms: positions are
unchanged, so every span found in the copy is sliced from the original text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "POSITIVE",
    "SIGNALS",
    "SignalContext",
    "SignalResult",
    "acknowledgment",
    "complies_with_brush_off",
    "content_words",
    "discount_beyond_authority",
    "discount_offered",
    "feature_pitch",
    "filler_words",
    "keeps_conversation",
    "next_step_ask",
    "open_question",
    "question",
    "repeats_earlier_line",
    "run_all",
    "talk_length",
    "talks_to_grader",
    "topic_matches",
]


@dataclass(frozen=True)
class SignalContext:
    """What a signal may know about the call besides the turn itself."""

    buyer_last: str = ""  # the buyer's line just before this rep turn ("" if none)
    rep_before: tuple[str, ...] = ()  # the rep's earlier turns in this call, oldest first
    max_discount_percent: float | None = None  # the rep's discount authority, from the scenario
    list_price: float | None = None  # the price the rep quotes, to turn "I can do 40k" into a percentage


@dataclass(frozen=True)
class SignalResult:
    name: str  # the signal name, e.g. "open-question"
    hit: bool  # the behaviour was detected in the turn
    evidence: tuple[str, ...]  # exact substrings of the rep's text that show it
    detail: str  # plain words for the rep
    value: float | None = None  # a number where it makes sense


# --------------------------------------------------------------------------- text

# One character for one character, so positions in the copy are positions in the original.
_PLAIN = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'",
        "\u201c": '"', "\u201d": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ", "\u202f": " ",
    }
)

_BOUNDARY = re.compile(r"[.!?\u2026]+[\"')\]]*(?=\s|$)|\n")
_ABBREV_BEFORE = re.compile(r"\b(?:mr|mrs|ms|dr|vs|e\.g|i\.e|approx|cf)$", re.I)
_BULLET = re.compile(r"[-*\u2022>]+\s+")
_ALNUM = re.compile(r"[^\W_]")


def _plain(text: str) -> str:
    return text.translate(_PLAIN)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of `text` (plain form), trimmed of surrounding blanks."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group() == "." and _ABBREV_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue
        _add_span(spans, text, start, m.end())
        start = m.end()
    _add_span(spans, text, start, len(text))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of the rep's text, trimmed."""
    return _sentences(_plain(text))


def _add_span(spans: list[tuple[int, int]], text: str, s: int, e: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    b = _BULLET.match(text, s, e)
    if b and b.end() < e:
        s = b.end()
    if s < e and _ALNUM.search(text, s, e):
        spans.append((s, e))


def _dedupe(items: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)


def _quote(s: str, limit: int = 60) -> str:
    """A short quote for a detail line, cut at a word boundary (never mid-word)."""
    s = " ".join(s.split())
    if len(s) <= limit:
        return f'"{s}"'
    cut = s[: limit - 3].rsplit(" ", 1)[0] if " " in s[: limit - 3] else s[: limit - 3]
    return f'"{cut.rstrip(",;:-")}..."'


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


# ---------------------------------------------------------------------- questions

_CLAUSE_SEP = re.compile(r"[,;:()\"]|\s-+\s?|-{2,}")

_LEAD = re.compile(
    r"(?:(?:and\s+so|and\s+then|so|and|but|or|also|then|now|ok|okay|well|great|sure|right|alright|"
    r"honestly|actually|look|listen|quick\s+question|one\s+question|one\s+more\s+thing|last\s+thing|"
    r"out\s+of\s+curiosity|just\s+curious|just|roughly|approximately|ballpark|realistically|genuinely|"
    r"in\s+practice|in\s+your\s+view|in\s+your\s+experience|hmm|yeah|yes|thanks|perfect|got\s+it|"
    r"understood|gotcha|and\s+if\s+so|if\s+so|u+m+|u+h+|e+r+m*|like|you\s+know|sorry|oh|hey|anyway|"
    r"before\s+(?:we|I)\s+(?:go|get|move|jump)\s+(?:on|further|ahead|into\s+(?:it|that|this|the\s+\w+)|to\s+(?:it|that|this|the\s+\w+)))"
    r"\b[\s,.!:;-]*)+",
    re.I,
)

_INDIRECT = re.compile(
    r"(?:I'?d\s+love\s+to\s+(?:hear|understand|know|learn|get\s+a\s+sense\s+of)|I'?m\s+(?:curious|wondering)|"
    r"I\s+wonder|curious|wondering)\s+(?:(?P<open>how|what|why|which|who|where|when|about)|(?P<closed>if|whether))\b",
    re.I,
)
_OPEN_PROMPT = re.compile(
    r"(?:(?:can|could|would|will)\s+you\s+(?:please\s+|maybe\s+|quickly\s+|briefly\s+|just\s+)?|"
    r"(?:would|do)\s+you\s+mind\s+|please\s+)?"
    r"(?P<verb>tell\s+me|walk(?:ing)?\s+me\s+through|talk(?:ing)?\s+me\s+through|tak(?:e|ing)\s+me\s+through|"
    r"run(?:ning)?\s+me\s+through|help(?:ing)?\s+me\s+understand|describ(?:e|ing)|explain(?:ing)?|"
    r"paint(?:ing)?\s+(?:me\s+)?a\s+picture|giv(?:e|ing)\s+me\s+a\s+(?:sense|feel|picture)|"
    r"shar(?:e|ing)\s+(?:with\s+me\s+)?(?:how|what|why|which|more|a\s+bit)|fill\s+me\s+in)\b"
    r"(?P<ifq>\s+(?:if|whether)\b)?",
    re.I,
)
_HOW_ABOUT = re.compile(r"(?:how|what)\s+about\b\s*(?P<rest>[\w']*)", re.I)
_WHAT_IF = re.compile(r"what\s+if\b", re.I)
_WH = re.compile(
    r"(?P<wh>what|how|why|which|who|whom|whose|where|when)(?P<cl>'s|'re|'d|'ll)?\b\s*(?P<next>[\w']*)", re.I
)
_AUX_WORDS = (
    "do|does|did|is|are|was|were|am|can|could|would|will|should|shall|have|has|had|may|might|must|"
    "isn't|aren't|wasn't|weren't|don't|doesn't|didn't|won't|wouldn't|can't|couldn't|shouldn't|"
    "haven't|hasn't"
)
_AUX = re.compile(rf"(?P<aux>{_AUX_WORDS})\b\s*(?P<next>[\w']*)", re.I)
_AUX_SET = frozenset(_AUX_WORDS.split("|"))
_SUBJ = frozenset(
    "i we you they he she it i'm we're you're they're he's she's it's i've we've you've they've "
    "i'd we'd you'd they'd i'll we'll you'll they'll".split()
)
# Words after an auxiliary that make a chat line a question even without "?": "do you", "is there".
_AUX_FOLLOW = _SUBJ | frozenset(
    "there that this those these the a an any your our my their his her its anyone anybody "
    "anything someone somebody something everyone everybody one either".split()
)
_HAVE_FOLLOW = _SUBJ | frozenset("there anyone anybody anything someone your".split())
_WH_FOLLOW = _AUX_SET | frozenset(
    "else much many long often soon far kind type sort part parts percentage share portion happens "
    "happened changed changes exactly specifically come".split()
)
_WH_STATEMENT = re.compile(r"^(?:what|how|why|where|when|who)\s+[\w']+(?:\s+[\w']+){0,5}\s+(?:is|was|are)\s", re.I)
_CONDITIONAL = re.compile(
    r"^(?:should|were|had)\s+(?:you|we|I|they)\b.*\b(?:let\s+me\s+know|feel\s+free|reach\s+out|happy\s+to|"
    r"don't\s+hesitate|please)\b",
    re.I | re.S,
)
_SUBORDINATE = re.compile(
    r"(?:if|when|once|given|assuming|say|suppose|supposing|before|after|since|because|now\s+that|as|with|"
    r"without|beyond|besides|apart\s+from|other\s+than|thinking\s+about|looking\s+at|for|on|in|at|"
    r"compared\s+to|setting\s+aside|leaving\s+aside|between|outside\s+of|from)\b",
    re.I,
)

_OPEN, _CLOSED, _SUB = "open", "closed", "sub"


def _clauses(sent: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _CLAUSE_SEP.finditer(sent):
        out.append(sent[start : m.start()])
        start = m.end()
    out.append(sent[start:])
    return out


def _classify_clause(clause: str) -> tuple[str | None, re.Match[str] | None, str]:
    """(kind, match, stripped clause): kind is open, closed, sub (a leading 'when you...' clause) or None."""
    lead = _LEAD.match(clause.lstrip())
    c = clause.lstrip()
    if lead:
        c = c[lead.end() :]
    if not c:
        return None, None, c
    m = _INDIRECT.match(c)
    if m:
        return (_OPEN if m.group("open") else _CLOSED), m, c
    m = _OPEN_PROMPT.match(c)
    if m:
        return (_CLOSED if m.group("ifq") else _OPEN), m, c
    m = _HOW_ABOUT.match(c)
    if m:
        rest = m.group("rest").lower()
        proposal = (
            rest in {"a", "an", "we", "i", "us", "if", "some", "another", "next", "this", "tomorrow", "today"}
            or rest.endswith("ing")
            or rest.endswith("day")
            or rest[:1].isdigit()
        )
        return (_CLOSED if proposal else _OPEN), m, c
    m = _WHAT_IF.match(c)
    if m:
        return _CLOSED, m, c
    m = _WH.match(c)
    if m:
        nxt = m.group("next").lower()
        if not m.group("cl") and nxt in _SUBJ:
            return _SUB, m, c
        return _OPEN, m, c
    m = _AUX.match(c)
    if m:
        return _CLOSED, m, c
    return None, None, c


def _chatty_question(m: re.Match[str], c: str, sent: str) -> bool:
    """Is a clause without '?' still a typed question ("what does month-end look like for you")?"""
    if m.re is _WH:
        if m.group("cl"):
            return True
        nxt = m.group("next").lower()
        if m.group("wh").lower() != "how" and nxt not in _WH_FOLLOW:
            return False
        if nxt not in _AUX_SET and _WH_STATEMENT.match(c):
            return False
        return bool(nxt)
    if m.re is _AUX:
        aux = m.group("aux").lower()
        nxt = m.group("next")
        if not nxt:
            return False
        if _CONDITIONAL.match(sent.lstrip()):
            return False
        if aux in {"have", "has", "had"}:
            return nxt.lower() in _HAVE_FOLLOW
        return nxt.lower() in _AUX_FOLLOW or (nxt[0].isupper() and nxt.lower() not in _AUX_SET)
    return True  # prompts ("walk me through"), indirect ("I'm curious how"), proposals ("how about")


_TAG = re.compile(
    r"(?:,|\s-+)\s*(?:right|yeah|yes|no|correct|ok|okay|agreed|true|yep|huh|eh|see|you\s+know|"
    r"(?:is|are|was|were|do|does|did|wo|would|could|ca|should|has|have)n't\s+(?:it|that|they|you|we|he|she|there)|"
    r"(?:isn't\s+that|is\s+that|am\s+I)\s+(?:right|fair|correct|true)|"
    r"(?:that\s+)?makes?\s+sense|sounds?\s+(?:good|right|fair)|fair|(?:don't|wouldn't)\s+you\s+(?:say|think|agree))"
    r"\s*\?+[\"')\]]*\s*$",
    re.I,
)
# A yes/no frame around a wh-question is still open: "can you tell me what...", "do you know how many...".
_EMBED_WH = re.compile(
    r"\b(?:ask(?:\s+you)?|tell\s+(?:me|us)|know|share|explain|say|describe|walk\s+(?:me|us)\s+through|"
    r"understand|remember|recall|mind\s+(?:sharing|telling|explaining|walking|saying)|give\s+me\s+a\s+sense\s+of|"
    r"get\s+a\s+sense\s+of|guess|estimate|think\s+about|talk\s+(?:me|us)?\s*through|clarify|elaborate\s+on|"
    r"sketch\s+out|unpack)\b[^?]*?\b(?:what|how|why|which|who|where|when)\b",
    re.I,
)


def _question_kind(sent: str) -> str | None:
    """None if the sentence is not a question, else 'open' or 'closed'."""
    s = sent.rstrip("\"')] ")
    asked = s.endswith("?")
    if not asked and s.endswith("!"):
        return None
    tag = _TAG.search(s) if asked else None
    if tag is not None:
        # "It's double, right?": a statement with a tag wants agreement, not an answer.
        return _question_kind(s[: tag.start()])
    clauses = _clauses(sent)
    for i, clause in enumerate(clauses):
        kind, m, c = _classify_clause(clause)
        if kind == _CLOSED and (
            _EMBED_WH.search(c) or any(_classify_clause(later)[0] == _OPEN for later in clauses[i + 1 :])
        ):
            if asked or _chatty_question(m, c, sent):  # type: ignore[arg-type]
                return _OPEN
        if kind in (_OPEN, _CLOSED):
            if asked:
                return kind
            assert m is not None
            return kind if _chatty_question(m, c, sent) else None
        if asked:
            continue
        # No '?': only a leading clause ("When you say it's double, ...", "Renee, ...") may come first.
        if kind == _SUB or (c and (_SUBORDINATE.match(c) or len(c.split()) <= 2)) or not c:
            continue
        return None
    return _CLOSED if asked else None


# "Does that make sense?" after a statement checks for a nod; it hands the buyer nothing to answer.
_CHECK_IN = re.compile(
    r"^(?:(?:so|and|ok(?:ay)?|right)[\s,]+)?(?:does\s+(?:that|this|it)\s+(?:make\s+sense|sound\s+(?:good|ok(?:ay)?|fair|right|"
    r"interesting)|help|work\s+for\s+you)|(?:that\s+)?makes?\s+sense|sounds?\s+(?:good|ok(?:ay)?|fair|interesting)|"
    r"(?:is\s+)?that\s+(?:helpful|fair|ok(?:ay)?|clear)|(?:are\s+you\s+)?with\s+me|you\s+know\s+what\s+I\s+mean|right|"
    r"(?:how\s+does\s+that|what\s+do\s+you\s+think(?:\s+of\s+that)?|thoughts)|interested)\s*\?+[\"')\]]*$",
    re.I,
)


def _questions(text_plain: str, spans: list[tuple[int, int]] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, 'open'|'closed') for each question sentence."""
    if spans is None:
        spans = _sentences(text_plain)
    out = []
    for i, (s, e) in enumerate(spans):
        sent = text_plain[s:e]
        kind = _question_kind(sent)
        if kind and i > 0 and _CHECK_IN.match(sent.strip()) and not _question_kind(text_plain[slice(*spans[i - 1])]):
            continue  # a check-in tacked onto a statement or a pitch
        if kind:
            out.append((s, e, kind))
    return out


def question(text: str, ctx: SignalContext) -> SignalResult:
    """Any question: a sentence ending in '?', or a typed question without one."""
    plain = _plain(text)
    qs = _questions(plain)
    evidence = tuple(text[s:e] for s, e, _ in qs)
    n = len(qs)
    if not n:
        return SignalResult("question", False, (), "no question: nothing for the buyer to answer", 0.0)
    detail = f"asked {_plural(n, 'question')}"
    if n > 1:
        detail += " (one at a time is easier to answer)"
    return SignalResult("question", True, evidence, detail, float(n))


def open_question(text: str, ctx: SignalContext) -> SignalResult:
    """A question that cannot be answered with yes or no."""
    plain = _plain(text)
    qs = _questions(plain)
    opened = [(s, e) for s, e, k in qs if k == _OPEN]
    n, o = len(qs), len(opened)
    if not n:
        return SignalResult("open-question", False, (), "no question asked", 0.0)
    if not o:
        first = next(text[s:e] for s, e, _ in qs)
        detail = f"asked {_plural(n, 'question')}, none open: {_quote(first)} can be answered yes or no"
        return SignalResult("open-question", False, (), detail, 0.0)
    detail = f"asked {_plural(n, 'question')}, {o} of them open"
    return SignalResult("open-question", True, tuple(text[s:e] for s, e in opened), detail, float(o))


# ------------------------------------------------------------------ acknowledgment

# Validations: the rep passes a judgement on what the buyer said ("that's a fair reaction").
_VALIDATE = re.compile(
    r"""\b(?:
      that(?:'s|\s+is)\s+(?:(?:completely|totally|entirely|perfectly|very|really|absolutely|quite|such|super|pretty|a)\s+)*
        (?:(?:fair|reasonable|understandable|valid|legit(?:imate)?|natural|normal|smart|good|real|big|serious|genuine|
              honest|sensible|huge|hard|tough)\s+
            (?:point|question|concern|number|worry|issue|jump|ask|increase|reaction|response|call|thing|gap|difference|
               hit|challenge|pushback|place\s+to\s+be|position|slide|drop|problem)
         |fair|reasonable|understandable|valid|legit(?:imate)?|frustrating|painful|tough|hard|rough|annoying|
          a\s+lot(?:\s+of\s+money)?|real\s+money|a\s+real\s+problem|no\s+small\s+thing|not\s+nothing)
    | fair\s+(?:point|enough|question|concern|reaction|challenge|pushback|ask)
    | (?:totally|completely|entirely|absolutely|very)\s+fair
    | you(?:'re|\s+are)\s+(?:absolutely\s+|completely\s+|totally\s+|quite\s+)?right
    | you(?:'re|\s+are)\s+not\s+wrong
    | (?<!wherever\s)(?<!whatever\s)(?<!what\s)(?<!if\sit\s)makes\s+(?:total\s+|complete\s+|perfect\s+|a\s+lot\s+of\s+)?sense
    | understandabl[ey]
    | I\s+can\s+(?:see|understand|imagine)\s+(?:why|how|that)
    | I\s+(?:totally\s+|completely\s+|fully\s+)?(?:see|get|understand)\s+why
    | I'?d\s+(?:feel|be|react|think)\s+(?:(?:exactly\s+)?the\s+same|(?:worried|concerned|cautious|sceptical|skeptical|
        hesitant|nervous|frustrated|annoyed|wary|careful)(?:\s+too)?)
    | I\s+(?:would|'d)\s+(?:have\s+)?(?:said|felt|asked|done)\s+the\s+same
    | (?:I\s+)?(?:don't|can't|do\s+not|cannot)\s+blame\s+you
    | no\s+wonder
    | sorry\s+to\s+hear
    | (?:real|legitimate|valid|genuine|fair|reasonable)\s+(?:concern|point|worry|question)
    | is\s+a\s+(?:real|big|fair|serious|huge|steep)\s+(?:number|concern|jump|ask|increase|difference|worry|gap|step|slide|drop|problem)
    | is\s+real\s+money
    | thanks?(?:\s+you)?\s+for\s+(?:being\s+(?:so\s+)?(?:honest|straight|upfront|candid|direct|open|clear)|telling\s+me|
        sharing\s+that|raising|flagging|saying\s+(?:it|that|so)|the\s+honesty|your\s+honesty|the\s+candou?r|letting\s+me\s+know|
        the\s+heads[\s-]up|being\s+straight)
    | (?:I\s+(?:really\s+)?)?appreciate\s+(?:you\s+(?:\w+ing)|the\s+(?:honesty|candou?r|directness|
        heads[\s-]up|time)|your\s+(?:honesty|candou?r|time)|that\s+you|that\b)
    | thanks?(?:\s+you)?\s+for\s+(?:the|your)\s+(?:honest|straight|candid|frank|clear|quick)\s+(?:answer|reply|response|
        feedback|note|take)
    | (?:totally|completely|perfectly|entirely|very)\s+(?:reasonable|understandable|valid|normal|fair)
    | no\s+argument | point\s+taken | you'?ve\s+got\s+a\s+point | fair\s+enough
    | I\s+(?:won't|will\s+not)\s+(?:ask|push|pretend|argue|tell|try)
    | I(?:'m|\s+am)\s+not\s+(?:going\s+to|gonna|here\s+to)\s+(?:argue|tell\s+you|pretend|push|ask|chase|fight)
    | (?:it|that)(?:'s|\s+is)\s+a\s+lot\b
    | I\s+know\s+(?:you(?:'re|\s+are)|it(?:'s|\s+is))\s+(?:(?:really|super|so|very|pretty)\s+)?
        (?:busy|slammed|swamped|stretched|flat\s+out|a\s+busy|a\s+lot|not\s+(?:what|the))
    )\b""",
    re.I | re.X,
)
# Reflections: the rep plays the buyer's situation back ("so you're stuck until...", "it sounds like...").
_REFLECT = re.compile(
    r"""(?:
      ^(?:(?:ah|oh|okay|ok|right|alright),?\s+)?so,?\s+(?!I\b|I'|we\b|we'|our\b|let's|let\s+me|what|how|why|which|who|when|where|
        do\b|does\b|did\b|is\b|are\b|can\b|could\b|would\b|will\b|should\b|um|uh)(?=\w)
    | you\s+were\s+(?:going\s+to|planning|saying|hoping|worried)
    | understood\s+(?:that\s+)?you
    | I\s+hear\s+you\s+that
    | that\s+must\s+(?:be|land|feel|hurt|make|sting|mean)
    | I'?d\s+expect\s+(?:nothing\s+less|the\s+same|that)
    | I'?d\s+(?:[\w']+\s+){1,5}too\b
    | (?:be|is)\s+the\s+right\s+call
    | thank(?:s|\s+you)\s+for\s+trusting
    | that(?:'s|\s+is)\s+(?:honest|candid|helpful\s+to\s+know)
    | sorry\s+about\s+that
      so\s+(?:you(?:'re|\s+are|'ve|\s+have|'d|\s+would|'ll|\s+need|\s+can't|\s+want)\b|your\b|it(?:'s|\s+is)\b|
            (?:the|that)\s+(?:real|main|big|bigger|actual)\b|what\s+you\b|basically\b|right\s+now\b|for\s+you\b|
            if\s+I\b|the\s+(?:issue|problem|question|concern|worry|risk)\b)
    | (?:it\s+)?sounds\s+(?:like|as\s+if|frustrating|painful|tough|hard|rough|expensive|stressful|exhausting)
    | (?:it\s+)?(?:seems|looks)\s+like\s+(?:you|the|your|it|that|finance)
    | you(?:'re|\s+are)\s+(?:worried|concerned|nervous|saying|telling\s+me|stuck|thinking|under|caught|being\s+asked|feeling|not\s+sure|
        unsure|comparing|looking\s+at|wary|sceptical|skeptical|on\s+the\s+hook|the\s+one|carrying|juggling|stretched)
    | you(?:'ve|\s+have)\s+(?:been\s+burned|been\s+told|heard\s+(?:this|that|it)|had|got\s+(?:a|the|to))
    | what\s+I'?m\s+hearing | if\s+I(?:'m|\s+am)?\s+(?:hearing|heard|understood|understand|read)\s+(?:you|that|this)
    | (?:you\s+(?:said|mentioned|told\s+me|flagged|raised)|as\s+you\s+(?:said|put\s+it))
    | when\s+you\s+say
    | in\s+other\s+words | let\s+me\s+(?:make\s+sure|play\s+(?:that|it|this)\s+back|check\s+I)
    | I\s+hear\s+(?:you\s+on|that\s+(?:the|you|it|your|this)|the\b|your\b|what\s+you(?:'re|\s+are)\s+saying\s+about)
    | I\s+(?:totally\s+|completely\s+|fully\s+)?(?:understand|get|know|see|hear|appreciate)\s+(?:that\s+)?
        (?:the\b|your\b|you(?:'re|\s+are|'ve|\s+have|\s+need|\s+can't)|it(?:'s|\s+is)\s+\w|this\s+is|finance|budget|price|timing)
    )""",
    re.I | re.X,
)
# Stock phrases that name nothing: not an acknowledgment on their own.
_STOCK = re.compile(
    r"(?:I\s+(?:totally\s+|completely\s+)?(?:hear\s+you|understand|get\s+(?:it|that|you)|see)|got\s+it|understood|"
    r"okay|ok|sure|right|gotcha|noted)(?=\W|$)[\s,.!-]*",
    re.I,
)
_STOCK_ANY = re.compile(
    r"(?:^|,\s*|\b)(?:understood|got\s+it|I\s+get\s+(?:that|it)|heard|I\s+hear\s+you|no\s+argument|fair\s+enough|"
    r"makes\s+sense|of\s+course)(?=\s*[,.!;:-]|\s*$)",
    re.I,
)
_YOU = re.compile(r"\byou(?:r|'re|'ve|'d|\s+(?:can't|cannot|need|want|have|had|feel|were))?\b", re.I)
_OWN_PLAN = re.compile(
    r"(?:[\w']+[\s,]+){0,2}?(?:I'll|I\s+will|I\s+can|I\s+could|I'd|let's|happy\s+to|glad\s+to|(?:the\s+)?best\s+I\s+can|"
    r"sounds\s+good|will\s+do|sure\s+thing|on\s+it|sending|please|if|because|good\s+luck|have\s+a|enjoy|well(?=,))\b"
    r"|.*\b(?:we|we'd|we'll|we're|we've|our|us|I'll|exactly\s+why|that's\s+why\s+you)\b",
    re.I | re.S,
)
# "but", "however" later in the same sentence takes back what came before it.
_BUT_IN = re.compile(r"[\s,;:-]+(?:but|however|though|although|yet)\b", re.I)
_FAIR_START = re.compile(r"(?:totally\s+|completely\s+|very\s+)?fair(?=\s*[.,!;:-]|\s*$)", re.I)
_YES_BUT = re.compile(r"[\s,;:.!-]*(?:but|however|though|yet|although)\b", re.I)
_CONTRA = re.compile(
    r"(?:but|actually|however|not\s+really|well,?\s+actually|that'?s\s+not\s+(?:true|right|correct|the\s+case|fair)|"
    r"I\s+(?:don't|do\s+not)\s+(?:agree|think\s+so)|I\s+disagree|with\s+(?:all\s+due\s+)?respect|"
    r"the\s+thing\s+is|here'?s\s+the\s+thing|to\s+be\s+fair|that\s+said|still|even\s+so|nonetheless|"
    r"the\s+(?:truth|reality|fact)\s+is|in\s+fact|when\s+you\s+think\s+about\s+it|if\s+you\s+(?:really\s+)?think\s+about\s+it)\b"
    r"|no\b(?=\s*[,.!])",
    re.I,
)
_GREETING = re.compile(r"(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))\b", re.I)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    """a about above after again against all almost also although always am an and any anyone anything are
    aren't around as at away back be because been before being below between both but by can can't cannot
    could couldn't did didn't do does doesn't doing don't done down during each either else enough even
    ever every few for from further get gets getting go goes going gone got gotta had hadn't has hasn't have
    haven't having he he'd he'll he's her here hers herself him himself his how i i'd i'll i'm i've if in
    into is isn't it it'd it'll it's its itself just know let let's like likely lot lots made make makes
    many may maybe me might mine more most much must my myself need needs never no nor not now of off oh
    ok okay on once one only or other others our ours ourselves out over own per pretty probably put quite
    rather re really right said same say says see seem seems shall she she'd she'll she's should shouldn't
    since so some something sometimes soon still stuff such sure take than thank thanks that that's the
    their theirs them themselves then there there's these they they'd they'll they're they've thing things
    think this those though through thus to too totally truly truthfully under until up upon us very want
    wants was wasn't way we we'd we'll we're we've well were weren't what what's when where whether which
    while who who's whom whose why will with within without won't would wouldn't yeah yes yet you you'd
    you'll you're you've your yours yourself yourselves today tomorrow
    time times honestly basically actually already look looking sound sounds mean means tell told fine good
    great hear heard understand understood fair point question call""".split()
)
# Words that mean the same to a buyer, so a restatement in other words still counts.
_SAME = {"frozen": "freez", "twice": "doubl", "doubl": "doubl", "expens": "cost", "pric": "cost", "cost": "cost",
         "spend": "cost", "money": "cost", "budget": "cost", "quot": "cost", "invoic": "cost",
         "manag": "manag", "cop": "manag", "month": "month", "monthly": "month",
         "boss": "vp", "vp": "vp", "manager": "vp", "team": "team", "staff": "team", "peopl": "team"}


def _stem(word: str) -> str:
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if not w.endswith("ss"):
        for suf in ("ing", "ed", "es", "s", "ly"):
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                w = w[: -len(suf)]
                break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return _SAME.get(w, w)


def _content(text_plain: str) -> dict[str, str]:
    """stem -> first word with that stem, for the content words of a text."""
    out: dict[str, str] = {}
    for m in _TOKEN.finditer(text_plain.lower()):
        w = m.group()
        if w in _STOP or (len(w) < 3 and not w.isdigit()):
            continue
        out.setdefault(_stem(w), w)
    return out


def _cancelled(plain: str, spans: list[tuple[int, int]], i: int, after: int) -> bool:
    """Is an acknowledgment ending at `after` in sentence i taken back at once ("..., but we're worth it")?

    A "but" that leads into a question ("but let me ask: what...") is not a rebuttal."""
    s, e = spans[i]
    rest = plain[after:e]
    if _YES_BUT.match(rest):
        return not _question_kind(rest)
    b = _BUT_IN.search(rest)
    if b and not _question_kind(rest[b.end() :]):
        return True
    if len(_TOKEN.findall(rest.lower())) <= 3 and i + 1 < len(spans):
        ns, ne = spans[i + 1]
        m = _CONTRA.match(plain, ns, ne)
        if m and m.group().lower() != "no":
            return not _question_kind(plain[ns:ne])
    return False


def _pitch_follows(plain: str, spans: list[tuple[int, int]], i: int) -> bool:
    """A stock validation straight into a product pitch is not listening."""
    if i + 1 >= len(spans):
        return False
    ns, ne = spans[i + 1]
    return bool(_pitch_markers(plain[ns:ne])) and not any(_question_kind(plain[a:b]) for a, b in spans)


def acknowledgment(text: str, ctx: SignalContext) -> SignalResult:
    """The rep names, restates or validates the buyer's concern, early in the turn, before answering it.

    A bare stock phrase ("I hear you.", "I understand.") names nothing and does not count; neither does an
    acknowledgment taken back at once ("fair, but...") or one that runs straight into a pitch."""
    if not ctx.buyer_last.strip():
        return SignalResult("acknowledgment", False, (), "nothing from the buyer to acknowledge yet", 0.0)
    plain = _plain(text)
    spans = _sentences(plain)
    if spans and _GREETING.match(plain, spans[0][0]) and len(plain[spans[0][0] : spans[0][1]].split()) <= 4:
        spans = spans[1:]
    if talks_to_grader(text, ctx).hit:
        return SignalResult("acknowledgment", False, (), "spoke to the grading, not to the buyer", 0.0)
    buyer_plain = _plain(ctx.buyer_last)
    buyer = _content(buyer_plain)
    # Echoing the words of a buyer's question is answering it, not acknowledging a concern.
    restate_ok = "?" not in buyer_plain
    need = 2

    evidence: list[str] = []
    reasons: list[str] = []
    taken_back: str | None = None
    contra: str | None = None
    for i, (s, e) in enumerate(spans[:3]):
        sent = plain[s:e]
        c = _CONTRA.match(sent)
        if c and c.group().lower() != "no":
            if i == 0:
                contra = text[s : s + len(c.group())]
            break  # what follows a rebuttal is not an acknowledgment
        # Restating: a statement about the buyer's situation (not a question, a pitch, a proposal or the
        # rep's own plan) that reuses the buyer's own content; a stock word beside it ("understood",
        # "got it") makes one shared word, or a "you" clause, enough.
        if buyer and not _question_kind(sent) and not _pitch_markers(sent) \
                and not _OWN_PLAN.match(sent) and not _GREETING.match(sent) and not _is_request(sent):
            mine = _content(sent)
            shared = [mine[k] for k in mine if k in buyer]
            mark = _STOCK_ANY.search(sent)
            beside = (sent[: mark.start()] + " " + sent[mark.end() :]) if mark else ""
            # a stock word counts only beside words of the rep's own about the buyer
            marked = mark is not None and len(_TOKEN.findall(beside.lower())) >= 2
            enough = (restate_ok and len(shared) >= need) or (marked and (shared or _YOU.search(beside)))
            but = _BUT_IN.search(sent)
            taken = but is not None and not _question_kind(sent[but.end() :])
            if enough and not taken and not _cancelled(plain, spans, i, e):
                evidence.append(text[s:e])
                words = ", ".join(f'"{w}"' for w in shared[:4])
                reasons.append(f"restated the buyer's words ({words})")
                break
        found = None
        for pat, how in ((_VALIDATE, "validated"), (_REFLECT, "reflected")):
            for m in pat.finditer(sent):
                if pat is _REFLECT and (m.start() > 40 or _question_kind(sent[: max(m.end(), len(sent) // 2)] )
                                        or _OWN_PLAN.match(sent) and m.start() == 0 and sent[:2].lower() == "so"):
                    continue  # a reflection leads its sentence, and is not itself a question
                if _cancelled(plain, spans, i, s + m.end()):
                    taken_back = taken_back or text[s + m.start() : s + m.end()]
                    continue
                if pat is _VALIDATE and _pitch_follows(plain, spans, i):
                    taken_back = taken_back or text[s + m.start() : s + m.end()]
                    continue
                found = (how, text[s + m.start() : s + m.end()])
                break
            if found:
                break
        if found is None:
            f = _FAIR_START.match(sent)
            if f and not _cancelled(plain, spans, i, s + f.end()) and not _pitch_follows(plain, spans, i):
                found = ("validated", text[s : s + f.end()])
        if found is not None:
            evidence.append(text[s:e])
            reasons.append(f"{found[0]} with {_quote(found[1])}")
            break
        stock = _STOCK.match(sent)
        if stock and i == 0:
            taken_back = taken_back or text[s : s + stock.end()].rstrip(" ,.!")
    if evidence:
        return SignalResult("acknowledgment", True, _dedupe(evidence), "; ".join(_dedupe(reasons)), 1.0)
    if contra:
        detail = f'opened with "{contra}" instead of acknowledging the buyer\'s concern'
    elif taken_back and _STOCK.fullmatch(taken_back):
        but = " and then \"but\"" if _BUT_IN.match(plain, len(taken_back)) or _YES_BUT.match(plain, len(taken_back)) else ""
        detail = f'said "{taken_back}"{but}: a stock phrase names nothing; say back what you heard'
    elif taken_back:
        detail = f'said "{taken_back}" and took it back at once (a "but" or a pitch right after)'
    else:
        detail = "did not name, restate or validate the buyer's concern before answering"
    return SignalResult("acknowledgment", False, (), detail, 0.0)


# -------------------------------------------------------------------- next step

_NUM_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|march|mar\.|apr(?:il)?|(?-i:May)|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_FULL = r"(?:january|february|march|april|(?-i:May)|june|july|august|september|october|november|december)"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?|tues|thurs"
_TIME = re.compile(
    rf"""\b(?:
      (?:{_WEEKDAY})\b
    | tomorrow\b | today\b | tonight\b
    | this\s+(?:morning|afternoon|evening)\b
    | (?:next|this|coming)\s+(?:week|month|quarter|{_WEEKDAY})\b
    | (?:the\s+)?week\s+of\b
    | end\s+of\s+(?:the\s+)?(?:day|week|month|quarter)\b | eo[dwm]\b
    | (?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)\b
    | {_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b
    | \d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_FULL}\b
    | (?:in|by|before|early|mid|late|until|after|end\s+of)\s+{_MONTH_FULL}\b
    | \d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b
    | \d{{1,2}}(?::\d{{2}})?\s*[ap]\.?m\b\.?
    | noon\b | midday\b
    | at\s+(?:\d{{1,2}}(?::\d{{2}})?|{_NUM_WORD})(?:\s*(?:o'clock|thirty|fifteen|forty-five|[ap]\.?m\.?))?\b
        (?!\s*(?:%|percent|per\b|thousand|million|hundred|k\b|grand|dollars|bucks|x\b)|\s+(?!works\b|suits\b|sounds\b)[a-z]+s\b|[.,]\d)
    )""",
    re.I | re.X,
)
_VAGUE_BEFORE = re.compile(r"(?:some\s?time|whenever|at\s+some\s+point|one\s+day)\s+(?:(?:in|during)\s+)?$", re.I)

_STEP = re.compile(
    r"""\b(?:
      calls?|meeting|meet|demo|session|intro|introduction|introduce|review|walk-?through|
      walk\s+(?:you|them|her|him|us|the\s+team)\s+through|go\s+through|workshop|chat|conversation|coffee|
      lunch|huddle|sync|get\s+together|sit\s+down|hop\s+on|jump\s+on|catch-?up|time\s+with|zoom|slot|invite|join|
      find\s+(?:a\s+)?time|(?:some|a)\s+time\s+(?:on|in)\s+(?:the|your)\s+(?:calendar|diary)|
      the\s+(?:two|three|four)\s+of\s+us|get\s+(?:[\w']+\s+){0,4}?together|
      (?:\d{1,3}|five|ten|fifteen|twenty|twenty-five|thirty|forty-five|sixty|a\s+few|a\s+couple\s+of)[\s-]?(?:minutes?|mins?)|
      half\s+an\s+hour|an\s+hour
    )\b""",
    re.I | re.X,
)
_FRAME = re.compile(
    r"""\b(?:
      (?:can|could|shall|should)\s+we
    | (?:can|could|shall|should)\s+(?:the\s+(?:two|three|four)\s+of\s+us|you\s+and\s+I|all\s+of\s+us)
    | (?:can|could|may)\s+I\s+(?:get|grab|borrow|steal|book|have|put)
    | would\s+you\s+be\s+(?:open|up|willing|free|available)
    | are\s+you\s+(?:open|up)\s+(?:to|for)
    | would\s+it\s+(?:make\s+sense|be\s+worth|help)
    | does\s+it\s+make\s+sense
    | what\s+if\s+(?:we|I|you)
    | how\s+about | what\s+about
    | I'?d\s+(?:like|love)\s+to\s+(?:set\s+up|book|get|grab|schedule|find|propose|hold|put)
    | I'?d\s+(?:suggest|propose|recommend) | I\s+(?:suggest|propose|recommend) | my\s+suggestion
    | (?:would|do)\s+you\s+(?:like|want)\s+to
    | want\s+to\s+(?:grab|book|set|meet|hop|jump|do)
    | any\s+chance
    | (?:would|do)\s+you\s+have | have\s+you\s+got
    | worth
    | are\s+you\s+(?:free|around|available)
    | why\s+don'?t\s+we
    | is\s+there\s+(?:a\s+)?(?:time|slot|day)
    )\b""",
    re.I | re.X,
)
_FRAME_SELF = re.compile(
    r"""\b(?:
      let(?:'s|\s+us)\s+(?:book|schedule|set\s+up|lock\s+in|pencil\s+in|put|grab|hold|meet|block|plan\s+on|
        get\s+(?:together|something|time|it|a\s+call|a\s+time)|find\s+(?:a\s+)?time|
        do\s+(?:a|the)\s+(?:call|demo|session|review|meeting|walkthrough))
    | send\s+(?:you\s+|over\s+)?(?:a|an|the)\s+(?:calendar\s+|meeting\s+)?invite
    | (?:pencil|put)\s+(?:you|us|it|something|that)\s+(?:in|down)
    | (?:what's|what\s+is|when's|when\s+is|when\s+would\s+be)\s+(?:the\s+|a\s+)?(?:best|good|convenient)\s+(?:time|day)
    )\b""",
    re.I | re.X,
)
_SCHED = (
    re.compile(r"\b(?:does|would|will|could|might)\s+(?P<x>[^.?!]{1,50}?)\s+(?:work|suit)\b", re.I),
    re.compile(r"\b(?:if|whether)\s+(?P<x>[^.?!]{1,40}?)\s+(?:works?|suits?)\b", re.I),
    re.compile(r"\bhow\s+(?:does|do|is|would)\s+(?P<x>[^.?!]{1,40}?)\s+look(?:ing)?\b", re.I),
    re.compile(r"\bhow's\s+(?P<x>[^.?!]{1,40}?)\s+look(?:ing)?\b", re.I),
    re.compile(r"\b(?:how|what)\s+about\s+(?P<x>[^.?!,]{1,30})", re.I),
    re.compile(r"\bare\s+you\s+(?:free|around|available)\s+(?P<x>[^.?!,]{1,30})", re.I),
    re.compile(r"\b(?:can|could)\s+you\s+(?:do|make)\s+(?P<x>[^.?!,]{1,30})", re.I),
)
_AVAIL = re.compile(
    r"\b(?:I've\s+got|I\s+have|I'm\s+free|I\s+am\s+free|I'm\s+around|I'm\s+available|I\s+could\s+do|I\s+can\s+do|"
    r"I'm\s+open|we've\s+got|we\s+have|we're\s+free)\s+"
    r"(?:(?:some\s+)?(?:time|space|room|availability|a\s+slot|slots|an\s+opening|openings)\s+)?"
    r"(?:on\s+|at\s+|around\s+|either\s+)?(?=(?:this|next|tomorrow|today|monday|tuesday|wednesday|thursday|friday|"
    r"the\s+\d|\d|noon))",
    re.I,
)
_DEFER = re.compile(
    r"\bif\s+you(?:'d|\s+would)?\s+(?:want|like|need|wish|prefer)\b|\bwhenever\b|\bwhen\s+you(?:'re|\s+are)\s+ready\b|"
    r"\bwhen\s+(?:the\s+)?timing\b|\bfeel\s+free\b|\breach\s+out\b|\bat\s+your\s+convenience\b",
    re.I,
)
_CLOSING = re.compile(
    r"\bwhich\s+(?:one\s+|day\s+|time\s+|slot\s+|option\s+)?(?:works|suits|is\s+better)\b|"
    r"\b(?:does|would|will)\s+(?:that|this|either|one\s+of\s+those|any\s+of\s+those)\s+(?:work|suit)\b|"
    r"\bworks?\s+for\s+you\b",
    re.I,
)


def _times(s: str) -> list[re.Match[str]]:
    return [m for m in _TIME.finditer(s) if not _VAGUE_BEFORE.search(s, max(0, m.start() - 24), m.start())]


def _find_time(s: str) -> re.Match[str] | None:
    found = _times(s)
    return found[0] if found else None


# Who the next step is with, when no time is named: "20 minutes with your CFO", "check Mark's calendar".
_ROLE = (
    r"(?:CFO|CEO|COO|CTO|CIO|CRO|VP|SVP|EVP|president|owner|founder|boss|manager|director|controller|"
    r"head\s+of\s+[\w-]+|finance(?:\s+(?:team|lead|director|people))?|procurement|legal|IT(?:\s+team)?|"
    r"(?:ops|operations|dispatch|IT|finance|leadership|exec(?:utive)?|security|it)\s+(?:team|lead|people)|"
    r"leadership|exec(?:utive)?s?|board|budget\s+holder|decision[\s-]makers?|dispatchers|team\s+leads?|"
    r"partner|GM|general\s+manager|administrator|superintendent|DON|CNO|CMO)"
)
_PERSON = re.compile(
    rf"""(?:
      \b(?:your|the|their|our\s+(?!team\b))\s+(?:[\w-]+\s+)?{_ROLE}\b
    | (?-i:\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)'s\s+(?:calendar|diary|schedule|availability|team|assistant|time)
    | \b(?:with|invite|inviting|loop\s+in|looping\s+in|bring\s+in|bringing|include|including|introduce\s+(?:me\s+)?to|
         intro\s+to|meet|meeting|connect\s+(?:me\s+)?with|and|cc|get|ask)\s+(?-i:(?!I\b|Monday|Tuesday|Wednesday|Thursday|
         Friday|Saturday|Sunday|January|February|March|April|June|July|August|September|October|November|December)
         [A-Z][a-z]+)\b
    | \b(?:invite|bring|loop|get|include|ask)\s+(?:him|her|them)\b
    | \b(?:with|to|for)\s+(?:him|her|them)\b
    )""",
    re.X | re.I,
)
_STEP_MORE = re.compile(
    r"\b(?:calendar|diary|schedule\s+(?:a|the|some)|loop\s+(?:in|\w+\s+in)|bring\s+(?:in|\w+\s+in|\w+\s+along)|"
    r"(?:on|onto|into)\s+(?:the|a)\s+(?:call|meeting)|put\s+(?:you|us|\w+)\s+in\s+front\s+of|site\s+visit|visit|onsite|"
    r"pilot|trial|kick-?off|working\s+session|book(?:ed)?|hold\s+(?:a|the)|block\s+(?:out|off)?\s*(?:a|some)|"
    r"pencil|set\s+up|schedule|catch\s+(?:you|up)|(?:good|best|better)\s+time\s+to|check\s+(?:\w+'s\s+)?(?:calendar|diary|availability))\b",
    re.I,
)
_PROPOSE = re.compile(
    r"(?:^|\b)(?:let(?:'s|\s+us)|shall\s+we|why\s+don'?t\s+we|how\s+about|what\s+about|I'?d\s+(?:suggest|propose|recommend|"
    r"like\s+to|love\s+to)|I\s+(?:suggest|propose|recommend)|my\s+suggestion|I(?:'ll|\s+will)\s+(?:send|put|book|pencil|"
    r"hold|block|set\s+up|get)\s+(?:you\s+|us\s+|over\s+)?(?:a|an|the|some|something|it|that)?\s*(?:calendar\s+|meeting\s+|"
    r"zoom\s+|teams\s+)?(?:invite|hold|slot|time|meeting|call)|(?:please\s+)?(?:grab|pick|choose|book|send\s+me)\s+"
    r"(?:a|any|one|two|some|the)\b|go\s+ahead\s+and|(?:can|could|would|will)\s+you\b|(?:can|could|may)\s+(?:I|we)\b|"
    r"(?:would|do)\s+you\s+(?:be|mind|want|like|have)|are\s+you\s+(?:free|around|available|open|up)|any\s+chance|"
    r"is\s+there\s+(?:a|any)\s+(?:chance|time|slot|day|way))",
    re.I,
)
_SCHEDULING_WH = re.compile(
    r"\b(?:(?:good|best|better|easiest)\s+(?:time|day)|works?|suits?|free|available|good\s+for|better\s+for|is\s+best|would\s+be\s+(?:best|good|easiest)|"
    r"(?:can|could|shall|should)\s+we|calendar|diary|availability|slot|time\s+for|fit\s+(?:in|us\s+in))\b",
    re.I,
)


def _is_request(sent: str) -> bool:
    """Does the sentence ask the buyer for something, or propose something to them?"""
    if _DEFER.search(sent):
        return False
    kind = _question_kind(sent)
    lead = _LEAD.match(sent)
    start = sent[lead.end() :] if lead else sent
    if kind is not None and _WH.match(start) and not _HOW_ABOUT.match(start) and not _WHAT_IF.match(start):
        # "When do you plan to decide?" is discovery; "When works for 20 minutes?" proposes.
        return bool(_SCHEDULING_WH.search(sent))
    return bool(kind or _PROPOSE.search(sent) or _FRAME.search(sent) or _FRAME_SELF.search(sent))


def next_step_ask(text: str, ctx: SignalContext) -> SignalResult:
    """The rep asks the buyer to commit to a concrete next step: a meeting, call, demo, intro or action,
    with a day or time, or with a named person ("20 minutes with your CFO", "check Mark's calendar")."""
    plain = _plain(text)
    spans = _sentences(plain)
    sents = [plain[s:e] for s, e in spans]
    times = [_find_time(s) for s in sents]
    avail = [bool(_AVAIL.search(s) and times[i]) for i, s in enumerate(sents)]
    steps = [bool(_STEP.search(s) or _STEP_MORE.search(s)) for s in sents]
    people = [_PERSON.search(s) for s in sents]

    def nearby(i: int) -> list[int]:
        return [j for j in (i - 1, i + 1) if 0 <= j < len(sents)]

    def found(i: int, time_idx: int | None, who: re.Match[str] | None) -> SignalResult:
        idx = sorted({i} | ({time_idx} if time_idx is not None else set()))
        evidence = tuple(text[spans[k][0] : spans[k][1]] for k in idx)
        if time_idx is not None:
            base = spans[time_idx][0]
            when = ", ".join(_dedupe([f'"{text[base + t.start() : base + t.end()]}"' for t in _times(sents[time_idx])]))
            detail = f"asked for a next step with a time ({when})" if when else "asked for a dated next step"
        else:
            assert who is not None
            base = spans[i][0]
            detail = f"asked for a next step with a named person ({_quote(text[base + who.start() : base + who.end()])})"
        return SignalResult("next-step-ask", True, evidence, detail, 1.0)

    step_without_anchor: str | None = None
    for i, s in enumerate(sents):
        # "Would Tuesday at 2 work?", "How does Thursday look?": the time is the proposal.
        for pat in _SCHED:
            m = pat.search(s)
            if m and _find_time(m.group("x")) and not _DEFER.search(s):
                return found(i, i, None)
        # "I've got Wednesday at two or Thursday at nine."
        if avail[i]:
            return found(i, i, None)
        if not _is_request(s):
            # "Which works better for you?" after offering times or describing the call.
            if _CLOSING.search(s):
                for j in nearby(i):
                    if avail[j] or (steps[j] and times[j]):
                        return found(j, j, None)
            continue
        if not steps[i]:
            continue
        if times[i]:
            return found(i, i, None)
        if people[i]:
            return found(i, None, people[i])
        near = next((j for j in nearby(i) if times[j] and not _is_request(sents[j])), None)
        if near is not None:
            return found(i, near, None)
        step_without_anchor = step_without_anchor or text[spans[i][0] : spans[i][1]]
    if step_without_anchor:
        detail = (f"proposed a next step but gave no day or time (nor who joins): {_quote(step_without_anchor)}; "
                  "name a day and a time")
        return SignalResult("next-step-ask", False, (), detail, 0.5)
    return SignalResult("next-step-ask", False, (), "no next step asked for (a call, meeting or demo on a named day)", 0.0)


# ----------------------------------------------------------------------- discount

_MONEY = (
    r"(?:\$\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|grand|thousand)\b)?|\d[\d,]*(?:\.\d+)?\s?(?:k|grand|thousand)\b|"
    r"(?:\d{1,3}(?:,\d{3})+|\d{4,})(?!\s*(?:[\w-]+\s+)?(?:hours?|days?|weeks?|months?|years?|invoices?|calls?|shifts?|"
    r"people|staff|users?|trucks?|units?|employees|tickets|jobs|orders|vendors|suppliers|miles)\b)|"
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?|ten|eleven|twelve|\w+teen|a|one|two|"
    r"three|four|five|six|seven|eight|nine)\s+(?:hundred|thousand|grand)\b|"
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?\s?k\b)"
)
_NUM_WORDS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_PCT = r"(?:\d+(?:\.\d+)?\s*(?:%|percent\b)|(?:five|ten|fifteen|twenty|twenty-five|thirty|forty|fifty)\s+percent\b)"
_DISCOUNT_WORD = re.compile(
    r"\bdiscount(?:s|ed|ing)?\b|\bspecial\s+(?:pricing|price|rate|deal|offer)\b|\bprice\s+(?:break|concession|"
    r"reduction|cut|drop)\b|\bconcessions?\b|\brebates?\b|\bpromo(?:tional)?\s+(?:code|price|pricing|rate|offer)\b",
    re.I,
)
_PRICE_CUT = re.compile(
    rf"""\b(?:
      (?:knock|take|shave|chop|cut|give\s+you|offer\s+you|do)\s+(?:(?:another|an\s+extra|a\s+further|about|around|roughly|maybe|probably|say)\s+)?
        (?:{_PCT}|\$\s?\d[\d,.]*\s*(?:k|grand)?|\d[\d,.]*\s*(?:k|grand)|a\s+(?:bit|little|chunk)|something|some)\s+off
    | {_PCT}\s+off
    | (?:I|we)(?:\s+(?:can|could|will|would|might)(?:\s+(?:probably|maybe|likely|definitely|even|still))?|'ll|'d)\s+
        (?:do(?:\s+(?:it|that|this))?(?:\s+(?:at|for))?|go\s+(?:down\s+)?(?:to|as\s+low\s+as)|
           get\s+(?:you|it|that|this)\s+(?:down\s+)?to|bring\s+(?:it|that|this|the\s+price)\s+(?:down\s+)?to|
           come\s+down\s+to|offer\s+(?:it\s+|that\s+|this\s+|you\s+)?(?:at|for)?|sell\s+(?:it\s+)?(?:to\s+you\s+)?(?:at|for)|
           make\s+it|meet\s+you\s+at)\s+{_MONEY}
    | meet\s+you\s+(?:halfway|in\s+the\s+middle|at\s+{_MONEY})
    | match\s+(?:their|the|that|\w+'s)\s+(?:price|pricing|quote|number)
    | price[\s-]match
    | go\s+(?:a\s+(?:bit|little)\s+)?lower
    | come\s+down\s+(?:a\s+(?:bit|little)|some|on\s+(?:the\s+)?price)
    | (?:lower|drop|cut|reduce|trim|adjust)\w*\s+(?:the|our|my|that|this|your)\s+(?:price|pricing|quote|fee|licen[cs]e\s+fee|subscription)
    | (?:bring|knock|get)\s+(?:the|our|my)\s+(?:price|quote|fee|licen[cs]e\s+fee)\s+down
    | knock\s+(?:it|that|this)\s+down
    | (?:price|quote)\s+(?:down|lower)
    | (?:get|give|offer|find)\s+you\s+(?:a\s+)?better\s+(?:price|rate|deal|number|terms)
    | flexib(?:le|ility)\s+on\s+(?:the\s+)?(?:price|pricing|number|cost|rate)
    | (?:see|look\s+at)\s+what\s+I\s+can\s+do\s+(?:on|with|about)\s+(?:the\s+)?(?:price|pricing|number|cost|rate)
    | work\s+with\s+you\s+on\s+(?:the\s+)?(?:price|pricing|number|cost|rate)
    | sharpen\s+(?:my|our|the)\s+pencil
    | waiv(?:e|ing)\s+(?:the\s+|your\s+|our\s+|any\s+|all\s+)?(?:(?:[\w-]+\s+)?fees?|(?:setup|set-up|implementation|onboarding|installation|training)\b)
    | (?:setup|set-up|implementation|onboarding|installation)\s+fees?\s+waived
    | free\s+(?:month|months|seats?|licen[cs]es?|upgrade)
    | (?:first|one|two|three|\d+)\s+months?\s+(?:free|on\s+us|at\s+no\s+(?:charge|cost))
    | months?\s+free | on\s+the\s+house
    | throw\s+(?:in\b|[^.?!,]{{1,30}}?\s+in\b)
    | (?:get|bring|take)\s+(?:you|it|that|this|the\s+price)\s+(?:down\s+)?to\s+(?:{_MONEY}|{_NUM_WORDS}(?:-\w+)?\b)
    | best\s+I\s+can\s+do\s+is
    | (?:rate|price|number|cost|fee)\s+(?:comes?|goes?|drops?)\s+down
    | (?:some|any|a\s+bit\s+of|real)\s+(?:flexibility|wiggle\s+room) | wiggle\s+room
    | room\s+(?:on|in)\s+(?:the\s+)?(?:number|price|pricing)
    | do\s+something\s+(?:on|with|about)\s+(?:the\s+)?(?:price|pricing|number)
    | beat\s+(?:it|that|them|their\s+(?:price|quote|number))\s+by
    | match\s+(?:free|their\s+offer)
    | waiv(?:e|ing)\s+(?:the\s+)?\$
    | (?:dropped|drop|lower(?:ed)?|cut)\s+the\s+(?:[\w-]+\s+)?price
    | (?:a\s+)?better\s+(?:number|price|rate)
    | at\s+no\s+(?:extra\s+)?(?:cost|charge) | free\s+of\s+charge | for\s+free
    | (?:is\s+)?free\s+for\s+(?:\w+\s+)?(?:days|weeks|months)
    )""",
    re.I | re.X,
)
# Going back to a manager about the price is the start of a discount.
_ASK_MANAGER = re.compile(r"\b(?:go\s+back\s+to|check\s+with|talk\s+to|ask|run\s+it\s+(?:by|past))\s+my\s+"
                          r"(?:manager|boss|VP|director|team\s+lead|sales\s+director)\b", re.I)
_PRICE_TALK = re.compile(r"\b(?:price|pricing|cost|costs|number|discount|cheaper|lower|expensive|pencil|better|budget)\b",
                         re.I)
_PROPER_SUBJECT = re.compile(r"(?-i:\b[A-Z][a-zA-Z]+(?:'s)?)\s+(?:\w+ly\s+)?$")
_NEG = re.compile(
    r"\b(?:no|not|never|without|nor|zero|neither|avoid|refuse|instead\s+of|rather\s+than|cannot|can\s+not|"
    r"do\s+not|will\s+not)\b|n't\b",
    re.I,
)
_NEG_AFTER = re.compile(
    r"\s*(?:[\w']+\s+){0,2}?(?:isn't|aren't|is\s+not|are\s+not|won't|wouldn't|is\s+off\s+the\s+table|"
    r"not\s+on\s+the\s+table|isn't\s+on\s+the\s+table)\b",
    re.I,
)
_CLAUSE_BREAK = re.compile(r"[.;!?,:]|\bbut\b|\bso\b|\band\b|\bthough\b|\bhowever\b|\bif\b", re.I)
_THIRD_PARTY = re.compile(r"\b(?:they|competitors?|other\s+vendors?|others|everyone\s+else|most\s+vendors)\b", re.I)
_BUYER_SIDE_BEFORE = re.compile(
    r"(?:early[\s-]?pay(?:ment)?|prompt[\s-]?pay(?:ment)?|supplier|vendor|volume|trade|cash|payment[\s-]terms?|"
    r"\d+(?:\.\d+)?\s*%\s*(?:early|prompt))[\s-]*(?:[\w'-]+\s+){0,1}$",
    re.I,
)
_BUYER_SIDE_AFTER = re.compile(r"\s*(?:from|with)\s+(?:your\s+|their\s+|the\s+)?(?:suppliers|vendors|distributors)\b", re.I)
_BUYER_Q = re.compile(
    r"\b(?:do|does|did|are|were|have|has|how\s+much|how\s+many|how\s+often|what)\b[^.?!]{0,40}?"
    r"\b(?:you|your\s+team|you\s+guys|your\s+(?:suppliers|vendors|ap\s+team))\b[^.?!]{0,30}?"
    r"\b(?:take|taking|took|get|getting|got|capture|capturing|receive|receiving|earn|earning|miss|missing|missed|"
    r"lose|losing|lost|qualify|negotiate|negotiating|offer|offering|give|giving|leave|leaving|pass\s+up)\b"
    r"|\b(?:did|does|do|has|have|is|are|was|were)\s+(?!I\b|we\b)(?:[\w']+\s+){1,3}?(?:give|gave|giving|offer|offered|offering)\s+you\b",
    re.I,
)


def _clause_before(sent: str, pos: int) -> str:
    last = 0
    for m in _CLAUSE_BREAK.finditer(sent, 0, pos):
        last = m.end()
    return sent[last:pos]


def discount_offered(text: str, ctx: SignalContext) -> SignalResult:
    """The rep offers to lower the price (asked or not); holding the price or asking about the buyer's
    own (supplier, early-payment) discounts does not count."""
    plain = _plain(text)
    spans = _sentences(plain)
    offers: list[tuple[int, str]] = []  # (sentence index, phrase)
    held = buyer_side = False
    for i, (s, e) in enumerate(spans):
        sent = plain[s:e]
        found = sorted(
            [(m.start(), m.end(), True) for m in _DISCOUNT_WORD.finditer(sent)]
            + [(m.start(), m.end(), False) for m in _PRICE_CUT.finditer(sent)]
        )
        last_end = -1
        bq = _BUYER_Q.search(sent) if sent.rstrip().endswith("?") or _question_kind(sent) else None
        if not found and _ASK_MANAGER.search(sent) and _PRICE_TALK.search(ctx.buyer_last):
            m = _ASK_MANAGER.search(sent)
            found = [(m.start(), m.end(), False)]
        for start, end, is_word in found:
            if start < last_end:
                continue
            last_end = end
            before = _clause_before(sent, start)
            if _NEG.search(before) or (is_word and _NEG_AFTER.match(sent, end)):
                held = True
                continue
            if _THIRD_PARTY.search(before) or (_PROPER_SUBJECT.search(before) and not before.strip().startswith("I")):
                continue
            if sent[start:end].lower() in _plain(ctx.buyer_last).lower():
                continue  # the buyer's own words played back ("Thirty percent off is a strong offer")
            if is_word and re.search(r"\bof\s+(?:those|these|your|the|their)\s+$", sent[max(0, start - 20) : start], re.I):
                buyer_side = True
                continue
            if is_word and (
                _BUYER_SIDE_BEFORE.search(sent, max(0, start - 40), start)
                or _BUYER_SIDE_AFTER.match(sent, end)
                or bq
            ):
                buyer_side = True
                continue
            offers.append((i, text[s + start : s + end]))
    if offers:
        evidence = _dedupe([text[spans[i][0] : spans[i][1]] for i, _ in offers])
        phrases = ", ".join(_dedupe([f'"{p}"' for _, p in offers]))
        return SignalResult("discount-offered", True, evidence, f"offered to cut the price ({phrases})", float(len(offers)))
    if held:
        detail = "held the price: said no to a discount"
    elif buyer_side:
        detail = "talked about the buyer's own (supplier or early-payment) discounts, which is not a price cut"
    else:
        detail = "no discount or price cut offered"
    return SignalResult("discount-offered", False, (), detail, 0.0)


# ------------------------------------------------------------ discount authority

_PCT_NUM = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b)", re.I)
_PCT_WORDS = {"five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40,
              "fifty": 50}
_PCT_WORD = re.compile(r"\b(five|ten|fifteen|twenty-five|twenty|thirty|forty|fifty)\s+percent\b", re.I)
_AMOUNT = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d+)?)\s*(k|grand|thousand)?\b|\b(\d[\d,]*(?:\.\d+)?)\s*(k|grand|thousand)\b", re.I
)
_PER_UNIT = re.compile(r"\s*(?:(?:a|per|/|each)\s*)(?:employee|seat|user|month|truck|head|person|licen[cs]e|site|unit)",
                       re.I)
_FREE_MONTHS = re.compile(r"\b(first\s+|one\s+|a\s+|two\s+|three\s+|\d+\s+)?(?:free\s+months?|months?\s+(?:free|on\s+us))", re.I)
_N = {"first": 1, "one": 1, "a": 1, "two": 2, "three": 3}


def _offered_percent(sentence: str, list_price: float | None) -> float | None:
    """The largest cut a sentence offers, as a percentage of the list price, when it can be told."""
    found: list[float] = [float(m.group(1)) for m in _PCT_NUM.finditer(sentence)]
    found += [float(_PCT_WORDS[m.group(1).lower()]) for m in _PCT_WORD.finditer(sentence)]
    if list_price:
        for m in _AMOUNT.finditer(sentence):
            raw, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            value = float(raw.replace(",", "")) * (1000 if unit else 1)
            after = sentence[m.end() : m.end() + 24]
            if _PER_UNIT.match(after):
                continue  # "$4 per employee": a unit price, which can't be set against the list price
            if value < list_price:
                # "I can do 40k": a new price; "knock 8k off", "waive the $9,000 setup": a cut.
                is_cut = re.search(r"\boff\b", after[:12], re.I) or re.search(r"\bwaiv", sentence[: m.start()], re.I)
                cut = value if is_cut else list_price - value
                if not is_cut and value < 0.25 * list_price:
                    continue  # far below any price: a fee or an example, not an offer to measure
                found.append(100 * cut / list_price)
        for m in _FREE_MONTHS.finditer(sentence):
            n = (m.group(1) or "one").strip().lower()
            found.append(100 * (_N.get(n) or int(n) if n.isdigit() or n in _N else 1) / 12)
    return max(found) if found else None


def discount_beyond_authority(text: str, ctx: SignalContext) -> SignalResult:
    """A discount past what the rep may give on their own (the scenario's `max_discount_percent`)."""
    if ctx.max_discount_percent is None:
        return SignalResult("discount-beyond-authority", False, (), "no discount authority set for this call", 0.0)
    offer = discount_offered(text, ctx)
    if not offer.hit:
        return SignalResult("discount-beyond-authority", False, (), "no discount offered", 0.0)
    worst, where = 0.0, ""
    for sentence in offer.evidence:
        pct = _offered_percent(_plain(sentence), ctx.list_price)
        if pct is not None and pct > worst:
            worst, where = pct, sentence
    limit = ctx.max_discount_percent
    if worst > limit + 1e-9:
        detail = f"offered about {worst:.0f}% off; your authority is {limit:g}% without approval"
        return SignalResult("discount-beyond-authority", True, (where,), detail, worst)
    if worst:
        return SignalResult("discount-beyond-authority", False, (), f"offered {worst:.0f}%, within your {limit:g}%", worst)
    return SignalResult("discount-beyond-authority", False, (), "offered a discount of no stated size", 0.0)


# -------------------------------------------------------------- brush-off

_BRUSH_OFF = re.compile(
    r"""\b(?:
      (?:just\s+)?(?:send|email|e-mail|shoot|drop|forward|mail)\s+(?:me|it|us|over|something|some|that|a|the|your)\b
    | put\s+(?:it|something|that|this|everything)\s+in\s+(?:an?\s+)?(?:email|writing)
    | (?:in|by|over)\s+(?:an?\s+)?email
    | I'll\s+(?:take\s+a\s+look|have\s+a\s+look|look\s+at\s+it|read\s+it|get\s+back\s+to\s+you|circle\s+back)
    | (?:do\s+you\s+have|got)\s+(?:a\s+)?(?:brochure|website|deck|one-pager|pdf|link)
    | not\s+a\s+good\s+time | (?:I'm|I\s+am)\s+(?:busy|slammed|running)
    )""",
    re.I | re.X,
)
_AGREE_SEND = re.compile(
    r"""\b(?:
      I(?:'ll|\s+will|'m\s+going\s+to|\s+can|'d\s+be\s+happy\s+to)\s+(?:\w+\s+)?(?:send|email|e-mail|shoot|get|drop|forward|pass|put)
    | (?:sure|absolutely|of\s+course|no\s+problem|no\s+worries|will\s+do|happy\s+to|sounds\s+good|definitely|you\s+got\s+it|
       certainly|can\s+do|consider\s+it\s+done|gladly)
    | sending | on\s+its\s+way | coming\s+your\s+way | in\s+your\s+inbox
    )\b""",
    re.I | re.X,
)
_SEND_VERB = re.compile(r"\b(?:send|sending|sent|email|e-mail|emailing|shoot|drop|forward|mail|get\s+(?:[\w-]+\s+){0,3}"
                        r"(?:over|to\s+you)|have\s+(?:it|them|that)\s+to\s+you|attached|pass\s+(?:it|that)\s+along|inbox|"
                        r"on\s+its\s+way|coming\s+your\s+way)\b", re.I)
_NOT_SEND = re.compile(r"\b(?:rather\s+not|won't|will\s+not|not\s+going\s+to|don't\s+want\s+to|instead\s+of)\s+(?:\w+\s+)?"
                       r"(?:send|email|shoot|forward)", re.I)
_COURTESY_Q = re.compile(
    r"\b(?:anything\s+else|(?:best|right|which|what)\s+(?:email|address)|email\s+address|still\s+the\s+best|"
    r"sounds?\s+good|is\s+that\s+(?:ok|okay|alright|all\s+right|fine)|that\s+work(?:s)?\s+for\s+you\??$|spell|"
    r"pdf\s+(?:or|ok)|prefer\s+(?:a\s+)?(?:pdf|link))",
    re.I,
)


def complies_with_brush_off(text: str, ctx: SignalContext) -> SignalResult:
    """The buyer brushed the rep off ("just send me the info") and the rep simply agreed to send,
    without a real question or a next step to keep the conversation."""
    if not _BRUSH_OFF.search(_plain(ctx.buyer_last)):
        return SignalResult("complies-with-brush-off", False, (), "the buyer did not brush you off", 0.0)
    plain = _plain(text)
    spans = _sentences(plain)
    agree = next(((s, e) for s, e in spans if _AGREE_SEND.search(plain[s:e]) and not _NOT_SEND.search(plain[s:e])
                  and (_SEND_VERB.search(plain[s:e]) or len(_TOKEN.findall(plain[s:e].lower())) <= 3)), None)
    if agree is None:
        return SignalResult("complies-with-brush-off", False, (), "did not simply agree to send", 0.0)
    kept = [plain[s:e] for s, e, _ in _questions(plain, spans) if not _COURTESY_Q.search(plain[s:e])]
    if kept or next_step_ask(text, ctx).hit:
        return SignalResult("complies-with-brush-off", False, (),
                            "agreed to send and kept the conversation going", 0.0)
    quote = text[agree[0] : agree[1]]
    return SignalResult("complies-with-brush-off", True, (quote,),
                        f"agreed to send ({_quote(quote)}) and let the conversation end there", 1.0)


def keeps_conversation(text: str, ctx: SignalContext) -> SignalResult:
    """The rep keeps the conversation going: a real question about the buyer (not only logistics like an
    email address) or a concrete next step, and does not simply obey a brush-off."""
    complied = complies_with_brush_off(text, ctx)
    if complied.hit:
        return SignalResult("keeps-conversation", False, (), complied.detail, 0.0)
    plain = _plain(text)
    spans = _sentences(plain)
    real = [text[s:e] for s, e, _ in _questions(plain, spans) if not _COURTESY_Q.search(plain[s:e])]
    if real:
        return SignalResult("keeps-conversation", True, tuple(real[:2]), "kept the conversation with a question", 1.0)
    step = next_step_ask(text, ctx)
    if step.hit:
        return SignalResult("keeps-conversation", True, step.evidence, "kept the conversation with a next step", 1.0)
    return SignalResult("keeps-conversation", False, (), "no question or next step to keep the conversation going",
                        0.0)


# ------------------------------------------------------------ talking to the grader

_GRADER = re.compile(
    r"""(?:
      \b(?:grader|rubric|evaluator|scoring\s+(?:system|model|engine)|grading\s+(?:system|model|engine|criteria))\b
    | (?:^|[.!?]\s+|\b(?:dear|hey|hi|note\s+to)\s+)the\s+judge\b
    | \b(?:mark|grade|score|rate)\s+(?:this|that|me|it|my\s+(?:turn|answer|response|reply|line))\s+(?:as\s+)?(?:a\s+)?
        (?:pass|passed|passing|correct|10|full|100|perfect|high|excellent)\b
    | \b(?:give|award)\s+me\s+(?:a\s+)?(?:pass|full\s+marks|full\s+points|100|10|points|credit|top\s+marks)\b
    | \bthis\s+(?:turn|response|line|answer|reply)\s+(?:demonstrates|shows|meets|satisfies|passes|is\s+an?\s+example)\b
    | \b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|your\s+|the\s+|previous\s+|prior\s+|above\s+|earlier\s+)+
        (?:instructions?|rules|prompts?|guidelines|directions)\b
    | \bsystem\s+(?:prompt|instructions?)\b | \bdeveloper\s+(?:prompt|message|instructions?)\b
    | \bas\s+an\s+(?:AI|LLM|language\s+model|assistant)\b
    | \byou(?:'re|\s+are)\s+(?:just\s+)?(?:an?\s+)?(?:AI|LLM|language\s+model|chatbot|simulation|bot|roleplay)\b
    | (?:^|[.!?]\s+)(?:AI|LLM|model|simulation|bot|assistant),?\s+(?:you\s+must|please|now\s+(?:agree|reveal|say))\b
    | \b(?:AI|LLM|simulation|bot),\s+(?:you\s+must|please)\b
    | \b(?:hidden\s+facts?|reveal\s+(?:all\s+)?(?:your\s+)?(?:hidden|secret)|what\s+you(?:'re|\s+are)\s+(?:hiding|not\s+supposed\s+to))
    | \b(?:end|break|exit|stop)\s+(?:the\s+)?(?:simulation|role\s*-?play|character)\b | \bout\s+of\s+character\b
    | \bscore\s*[:=]\s*\d | \[(?:acknowledg\w*|open[\s-]question|next[\s-]step|pass|question|empathy)\]
    | \bcriteri(?:on|a)\s*[:=] | \b(?:active\s+listening|open[\s-]ended\s+question|acknowledg(?:e|ing)\s+the\s+concern)\s+
        (?:criterion|check|box|points?)\b
    )""",
    re.I | re.X,
)


def talks_to_grader(text: str, ctx: SignalContext) -> SignalResult:
    """A line addressed to the grading, the AI or the simulation rather than to the buyer."""
    plain = _plain(text)
    spans = _sentences(plain)
    hits = [text[s:e] for s, e in spans if _GRADER.search(plain[s:e])]
    if not hits:
        return SignalResult("talks-to-grader", False, (), "spoke to the buyer", 0.0)
    return SignalResult("talks-to-grader", True, _dedupe(hits),
                        f"spoke to the grading, not the buyer: {_quote(hits[0])}; it earns nothing", float(len(hits)))


# ----------------------------------------------------------------------- repeats

_WORDS = re.compile(r"[a-z0-9]+", re.I)


def content_words(text: str) -> set[str]:
    """The stems of a text's content words (no small words), for comparing what two lines are about."""
    return set(_content(_plain(text)))


def _near(a: list[str], b: list[str]) -> bool:
    """The same sentence again, nearly word for word, and about the same things (a new topic in
    the same frame, "what does X cost you?" after "what does Y cost you?", is not a repeat)."""
    if not a or not b:
        return False
    if a == b:
        return True
    ca, cb = _content(" ".join(a)), _content(" ".join(b))
    if ca != cb and (not ca or not cb or len(ca.keys() & cb.keys()) / len(ca.keys() | cb.keys()) < 0.8):
        return False
    sa, sb = set(a), set(b)
    if len(sa & sb) / len(sa | sb) >= 0.75:
        return True
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.85


def repeats_earlier_line(text: str, ctx: SignalContext) -> SignalResult:
    """Sentences the rep already said earlier in the call, word for word or nearly.

    `value` is the share of the turn's sentences that are repeats: 1.0 means nothing in it is new."""
    plain = _plain(text)
    spans = [(s, e) for s, e in _sentences(plain) if len(_WORDS.findall(plain[s:e])) >= 3]
    if not spans or not ctx.rep_before:
        return SignalResult("repeats-earlier-line", False, (), "nothing repeated", 0.0)
    earlier = [
        [w.lower() for w in _WORDS.findall(_plain(t)[s:e])]
        for t in ctx.rep_before for s, e in _sentences(_plain(t))
    ]
    whole = [w.lower() for w in _WORDS.findall(plain)]
    if any(_near(whole, [w.lower() for w in _WORDS.findall(_plain(t))]) for t in ctx.rep_before):
        return SignalResult("repeats-earlier-line", True, tuple(text[s:e] for s, e in spans),
                            "said the same thing as an earlier turn", 1.0)
    repeated = [(s, e) for s, e in spans
                if any(_near([w.lower() for w in _WORDS.findall(plain[s:e])], old) for old in earlier)]
    if not repeated:
        return SignalResult("repeats-earlier-line", False, (), "nothing repeated", 0.0)
    share = len(repeated) / len(spans)
    detail = ("said the same thing as an earlier turn" if share == 1 else
              f"repeated {_plural(len(repeated), 'sentence')} from earlier turns")
    return SignalResult("repeats-earlier-line", True, tuple(text[s:e] for s, e in repeated), detail, share)


# -------------------------------------------------------------------- talk length

MONOLOGUE_WORDS = 120
MONOLOGUE_WORDS_NO_QUESTION = 80


def talk_length(text: str, ctx: SignalContext) -> SignalResult:
    """Word count; hit (a monologue) over 120 words, or over 80 words with no question in them."""
    words = sum(1 for t in text.split() if _ALNUM.search(t))
    plain = _plain(text)
    asked = bool(_questions(plain)) if words > MONOLOGUE_WORDS_NO_QUESTION else True
    stripped = text.strip()
    evidence = (stripped,) if stripped else ()
    if words > MONOLOGUE_WORDS:
        detail = f"{words} words{'' if asked else ' without a question'}: a monologue (keep it under {MONOLOGUE_WORDS})"
        return SignalResult("talk-length", True, evidence, detail, float(words))
    if words > MONOLOGUE_WORDS_NO_QUESTION and not asked:
        detail = f"{words} words without a question: hand the buyer the conversation sooner"
        return SignalResult("talk-length", True, evidence, detail, float(words))
    return SignalResult("talk-length", False, evidence, f"{_plural(words, 'word')}: short enough", float(words))


# ------------------------------------------------------------------ feature pitch

_PITCH = re.compile(
    r"""\b(?:
      our\s+(?:platform|product|software|solution|system|tool|app|technology|tech|ai|engine|suite|module)s?
    | (?:it|this|the\s+(?:platform|product|system|app|tool|software|solution))\s+(?:also\s+)?
        (?:includes|offers|comes\s+with|integrates|provides|supports|lets\s+you|allows\s+you|gives\s+you|automates|has\s+(?:a|an|built-in))
    | features?\s+(?:like|such\s+as|include)
    | key\s+features | feature\s+set
    | integrates?\s+with | integrations?\s+with | \d+\s+(?:\w+\s+)?(?:connectors|integrations)
    | dashboards? | ai[\s-](?:powered|driven|based) | machine\s+learning | real[\s-]time
    | automat(?:ed|es|ic|ically|ion)
    | out\s+of\s+the\s+box | best[\s-]in[\s-]class | industry[\s-]leading | cutting[\s-]edge
    | state[\s-]of[\s-]the[\s-]art | seamless(?:ly)? | one[\s-]click | mobile\s+(?:app|approvals)
    | let\s+me\s+(?:show|tell)\s+you\s+(?:about|how|our|what\s+(?:we|our))
    | let\s+me\s+(?:walk|take)\s+you\s+through\s+(?:our|the)\s+(?:platform|product|demo|features|app)
    | our\s+customers\s+(?:see|get|love|say|tell) | customers\s+love
    )\b""",
    re.I | re.X,
)
_WE_HAVE = re.compile(r"\bwe\s+(?:also\s+)?(?:have|offer|provide|support)\b", re.I)
_LIST = re.compile(r",[^,]+,|,\s*and\b|,[^,]+\band\b", re.I)
_RHETORICAL = re.compile(r"(?:did\s+you\s+know|have\s+you\s+seen|wouldn't\s+it\s+be)\b", re.I)


def _pitch_markers(sent: str) -> list[str]:
    found = [m.group() for m in _PITCH.finditer(sent)]
    if _WE_HAVE.search(sent) and (found or _LIST.search(sent)):
        found.append(_WE_HAVE.search(sent).group())  # type: ignore[union-attr]
    return found


def feature_pitch(text: str, ctx: SignalContext) -> SignalResult:
    """Pitching product features before any question has been asked in the call."""
    plain = _plain(text)
    spans = _sentences(plain)
    q_idx = [i for i, (s, e) in enumerate(spans) if _question_kind(plain[s:e])]
    pitched: list[tuple[int, list[str]]] = []
    for i, (s, e) in enumerate(spans):
        sent = plain[s:e]
        if i in q_idx:
            lead = _LEAD.match(sent)
            if not _RHETORICAL.match(sent, lead.end() if lead else 0):
                continue
        markers = _pitch_markers(sent)
        if markers:
            pitched.append((i, markers))
    n_markers = float(sum(len(m) for _, m in pitched))
    if not pitched:
        return SignalResult("feature-pitch", False, (), "no product pitch", 0.0)
    if any(_questions(_plain(t)) for t in ctx.rep_before):
        return SignalResult(
            "feature-pitch", False, (), "described the product after asking questions earlier in the call", n_markers
        )
    first_q = q_idx[0] if q_idx else None
    early = [(i, m) for i, m in pitched if first_q is None or i < first_q or i == first_q]
    if not early:
        return SignalResult("feature-pitch", False, (), "described the product only after asking a question", n_markers)
    buyer_plain = _plain(ctx.buyer_last)
    buyer_asked = any(_question_kind(buyer_plain[a:b]) and len(buyer_plain[a:b].split()) >= 3
                      for a, b in _sentences(buyer_plain))
    pitch_sentences = {i for i, _ in early}
    if buyer_asked and first_q is not None and len(pitch_sentences) <= 2 and first_q not in pitch_sentences:
        return SignalResult(
            "feature-pitch", False, (), "short answer to the buyer's question, then a question back", n_markers
        )
    evidence = tuple(text[spans[i][0] : spans[i][1]] for i, _ in early)
    names = ", ".join(_dedupe([f'"{" ".join(x.split())}"' for _, ms in early for x in ms][:4]))
    detail = f"pitched the product ({names}) before asking the buyer anything"
    return SignalResult("feature-pitch", True, evidence, detail, n_markers)


# ------------------------------------------------------------------- filler words

_EMAIL_FILLER = re.compile(
    r"""\b(?:
      just\s+wanted\s+to\s+(?:follow\s+up|check\s+in|circle\s+back|touch\s+base|reach\s+out|bump\s+this|check)
    | just\s+(?:checking\s+in|checking|following\s+up|circling\s+back|touching\s+base|reaching\s+out|bumping\s+this)
    | checking\s+in
    | following\s+up\s+on\s+my\s+(?:last|previous|earlier)\s+(?:email|message|note)
    | circling\s+back | circle\s+back | touching\s+base | touch\s+base | bump(?:ing)?\s+this
    | just\s+wanted\s+to
    | (?:friendly|gentle|quick)\s+reminder
    | hope\s+(?:this|the|my)\s+(?:email|message|note)\s+finds\s+you\s+well
    | top\s+of\s+your\s+inbox
    | (?:get|got|had|have)\s+a\s+chance\s+to\s+(?:look|review|read|go\s+through|check)
    | any\s+updates?(?=\s*(?:\?|on\b|from\b|here\b|\.|!|$))
    )""",
    re.I | re.X,
)
_UM = re.compile(r"\b(?:u+m+|u+h+m*|e+r+m+|hmm+)\b(?!-)", re.I)
_LIKE = re.compile(r"(?:^|(?<=[,;]))\s*(?P<w>like)(?=\s*,)|\b(?:um|uh)[\s,]+(?P<w2>like)\b", re.I)
_ADVERB_FILLER = re.compile(r"\b(?:basically|literally|honestly|to\s+be\s+honest)\b", re.I)
_YOU_KNOW = re.compile(r"\b(?:y'know|you\s+know)\b(?P<wimi>\s+what\s+I\s+mean)?", re.I)
_YOU_KNOW_NOT_AFTER = frozenset("do did as if what don't didn't would will you how whether".split())
_I_MEAN = re.compile(r"\bI\s+mean\b", re.I)
_I_MEAN_NOT_AFTER = frozenset("what which that if do did don't".split())
_I_MEAN_NOT_BEFORE = re.compile(r"\s+(?:it|to|that\b|by|what\s+I\s+say|business)\b", re.I)
_KIND_OF = re.compile(r"\b(?:kind|sort)\s+of\b", re.I)
_DETERMINERS = frozenset(
    """a an the what which this that these those any some every each one same other another no all our your
    their my his her its different new right wrong particular specific certain first best worst only that's
    what's whatever similar""".split()
)
_PREV_WORD = re.compile(r"([\w']+)\W*$")


def _prev_word(s: str, pos: int) -> str:
    m = _PREV_WORD.search(s, max(0, pos - 24), pos)
    return m.group(1).lower() if m else ""


def _fillers(sent: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_email) for each filler in a sentence."""
    out: list[tuple[int, int, bool]] = []
    out += [(m.start(), m.end(), True) for m in _EMAIL_FILLER.finditer(sent)]
    out += [(m.start(), m.end(), False) for m in _UM.finditer(sent)]
    for m in _LIKE.finditer(sent):
        g = "w" if m.group("w") else "w2"
        out.append((m.start(g), m.end(g), False))
    out += [(m.start(), m.end(), False) for m in _ADVERB_FILLER.finditer(sent)]
    for m in _YOU_KNOW.finditer(sent):
        if _prev_word(sent, m.start()) in _YOU_KNOW_NOT_AFTER:
            continue
        after = sent[m.end() :]
        if m.group("wimi") or not after.strip() or after.lstrip()[:1] in ",.!?;" or m.group().lower() == "y'know":
            out.append((m.start(), m.end(), False))
    for m in _I_MEAN.finditer(sent):
        if _prev_word(sent, m.start()) in _I_MEAN_NOT_AFTER or _I_MEAN_NOT_BEFORE.match(sent, m.end()):
            continue
        out.append((m.start(), m.end(), False))
    for m in _KIND_OF.finditer(sent):
        if _prev_word(sent, m.start()) in _DETERMINERS or not _prev_word(sent, m.start()):
            continue
        out.append((m.start(), m.end(), False))
    # Overlaps (e.g. "um, like" counted by two patterns) keep the first, longest match.
    out.sort(key=lambda t: (t[0], -t[1]))
    kept: list[tuple[int, int, bool]] = []
    for item in out:
        if kept and item[0] < kept[-1][1]:
            continue
        kept.append(item)
    return kept


def filler_words(text: str, ctx: SignalContext) -> SignalResult:
    """Spoken fillers (um, you know, basically...) and empty email nudges ("just checking in")."""
    plain = _plain(text)
    spans = _sentences(plain)
    evidence: list[str] = []
    counts: dict[str, int] = {}
    email: list[str] = []
    for s, e in spans:
        sent = plain[s:e]
        found = _fillers(sent)
        if not found:
            continue
        evidence.append(text[s:e])
        for a, b, is_email in found:
            word = " ".join(text[s + a : s + b].split()).lower()
            counts[word] = counts.get(word, 0) + 1
            if is_email:
                email.append(word)
    n = sum(counts.values())
    if not n:
        return SignalResult("filler-words", False, (), "no filler words", 0.0)
    listed = ", ".join(f'"{w}"' + (f" x{c}" if c > 1 else "") for w, c in counts.items())
    if email:
        detail = f"empty follow-up filler ({listed}): say something new instead"
        return SignalResult("filler-words", True, _dedupe(evidence), detail, float(n))
    if n >= 2:
        return SignalResult("filler-words", True, _dedupe(evidence), f"{n} filler words ({listed})", float(n))
    return SignalResult("filler-words", False, (), f"1 filler word ({listed}), which is fine", float(n))


# ---------------------------------------------------------------------- registry

SIGNALS: dict[str, Callable[[str, SignalContext], SignalResult]] = {
    "question": question,
    "open-question": open_question,
    "acknowledgment": acknowledgment,
    "next-step-ask": next_step_ask,
    "discount-offered": discount_offered,
    "talk-length": talk_length,
    "feature-pitch": feature_pitch,
    "filler-words": filler_words,
    "discount-beyond-authority": discount_beyond_authority,
    "complies-with-brush-off": complies_with_brush_off,
    "talks-to-grader": talks_to_grader,
    "repeats-earlier-line": repeats_earlier_line,
    "keeps-conversation": keeps_conversation,
}

POSITIVE: frozenset[str] = frozenset({"question", "open-question", "acknowledgment", "next-step-ask",
                                      "keeps-conversation"})


def run_all(text: str, ctx: SignalContext) -> dict[str, SignalResult]:
    """Every signal on one turn, keyed by signal name."""
    return {name: fn(text, ctx) for name, fn in SIGNALS.items()}


# ------------------------------------------------------------------------ topics

_KW_SPLIT = re.compile(r"[\s-]+")


_ENDINGS = ("ies", "ied", "ying", "ing", "ed", "es", "s")
_FORMS = r"(?:e|s|es|ed|d|ing|y|ies|ied|ying)?"
_NO_FORMS = frozenset("your yours their theirs ours mine this that these those what when where which with "
                      "from have been into over".split())
"""Words of a keyword matched as written: pronouns and small words have no forms to find."""


def _keyword_stem(word: str) -> str:
    """The word without an inflection (-s, -es, -ed, -ing, -ies), kept at 4 letters or more."""
    low = word.lower()
    if len(low) < 4 or not low.isalpha():
        return low
    for end in _ENDINGS:
        if low.endswith(end) and not low.endswith("ss") and len(low) - len(end) >= 4:
            return low[: -len(end)]
    return low[:-1] if low.endswith("y") and len(low) >= 5 else low


def topic_matches(text: str, keywords: Sequence[str]) -> list[str]:
    """The keywords found in `text`, as the exact substrings that matched, in keyword order.

    A keyword matches at the start of a word, regardless of case, and in its word forms: each
    word of it may carry -s, -es, -ed, -ing or -ies/-y ("three years" finds "three-year term",
    "missed delivery" finds "missing deliveries"), and words of a phrase may be joined by spaces
    or hyphens. The last word matches as the start of a word ("spoil" finds "spoilage")."""
    plain = _plain(text)
    found: list[str] = []
    seen: set[str] = set()
    for kw in keywords:
        words = [w for w in _KW_SPLIT.split(_plain(kw).strip()) if w]
        key = " ".join(words).lower()
        if not words or key in seen:
            continue
        seen.add(key)
        parts = []
        for k, w in enumerate(words):
            last = k == len(words) - 1
            stem = _keyword_stem(w)
            if w.lower() in _NO_FORMS or (stem == w.lower() and not (w.isalpha() and len(w) >= 4)):
                part = re.escape(w)  # a short word, a figure or a symbol: as written
                if w[-1].isalnum() or w[-1] == "_":
                    part += r"\w*" if last else r"(?!\w)"
            elif last:
                part = re.escape(stem) + (r"(?:y|i)\w*" if stem != w.lower() and w.lower().endswith(("y", "ies", "ied"))
                                          else r"\w*")
            else:
                part = re.escape(stem) + _FORMS + r"(?!\w)"
            parts.append(part)
        m = re.search(r"(?<!\w)" + r"[\s-]+".join(parts), plain, re.I)
        if m:
            found.append(text[m.start() : m.end()])
    return found
