"""Scores that don't flatter (issue 7): a verdict only when enough is graded, every point lost has
its turn, n/a is never 0, a walk-away is never a pass, and there is always ONE thing to practise."""

from __future__ import annotations

from roleplay import library
from roleplay.engine.records import Grade, Turn
from roleplay.engine.scorecard import ENOUGH_WEIGHT, Flag, Scorecard, build, flags_for

LIB = library.load([library.shipped_folder()])
RUBRIC = LIB.rubrics["objection-handling"].model  # acknowledge 2, clarify 3, value 3, confirm 2, next-step 2


def g(criterion: str, verdict: str, *, evidence: tuple[str, ...] = (), reason: str = "", source: str = "signal"
      ) -> Grade:
    score = {"pass": 1.0, "fail": 0.0}.get(verdict)
    return Grade(criterion=criterion, verdict=verdict, score=score, evidence=list(evidence), reason=reason,
                 source=source)


def rep(index: int, text: str, *grades: Grade) -> Turn:
    return Turn(index=index, speaker="rep", text=text, grades=list(grades))


def buyer(index: int, text: str) -> Turn:
    return Turn(index=index, speaker="buyer", text=text)


def test_a_pass_needs_enough_of_the_rubric_graded() -> None:
    turns = [buyer(0, "It's double."), rep(1, "That's fair. What are you comparing it to?",
                                           g("acknowledge", "pass", evidence=("That's fair.",)),
                                           g("clarify", "pass", evidence=("What are you comparing it to?",)))]
    card = build(RUBRIC, turns)
    assert card.score == 100.0
    assert card.graded_share < ENOUGH_WEIGHT and card.passed is None
    assert "rests on 2 of 5 criteria" in card.note and "a model judge would add" in card.note
    assert "too little graded" in card.verdict_words() and "passed" not in card.verdict_words()


def test_enough_graded_gives_a_verdict() -> None:
    turns = [buyer(0, "It's double."),
             rep(1, "x", g("acknowledge", "pass", evidence=("x",)), g("clarify", "pass", evidence=("x",)),
                 g("value-not-discount", "pass", evidence=("x",), source="judge"))]
    card = build(RUBRIC, turns)
    assert card.graded_share >= ENOUGH_WEIGHT and card.passed is True


def test_every_point_lost_names_its_turn() -> None:
    turns = [buyer(0, "It's double."),
             rep(1, "Actually it's worth it.", g("acknowledge", "fail", reason="opened with 'Actually'"),
                 g("clarify", "fail", reason="no question asked")),
             buyer(2, "Still double."),
             rep(3, "Fair. What are you comparing it to?", g("acknowledge", "pass", evidence=("Fair.",)),
                 g("clarify", "pass", evidence=("What are you comparing it to?",)))]
    card = build(RUBRIC, turns)
    ack = next(c for c in card.criteria if c.id == "acknowledge")
    assert ack.score == 0.5
    assert [(x.turn, x.reason) for x in ack.lost] == [(1, "opened with 'Actually'")]


def test_a_criterion_that_never_applied_is_na_not_zero() -> None:
    turns = [buyer(0, "Hello."), rep(1, "Hi Dana, what's on your mind?")]  # no objection: after-objection n/a
    card = build(RUBRIC, turns)
    ack = next(c for c in card.criteria if c.id == "acknowledge")
    assert ack.score is None and not ack.applied
    assert card.score is None


def test_once_per_call_never_shown_is_lost_across_the_call() -> None:
    turns = [buyer(0, "It's double."),
             rep(1, "a", g("next-step", "n/a", reason="not on this turn")),
             rep(3, "b", g("next-step", "n/a", reason="not on this turn"))]
    card = build(RUBRIC, turns)
    nxt = next(c for c in card.criteria if c.id == "next-step")
    assert nxt.score == 0.0 and nxt.lost and nxt.lost[0].turn is None
    assert "never shown in turns 1-2" in nxt.lost[0].reason  # the rep's own count, not transcript indices


def test_a_walk_away_is_never_a_pass() -> None:
    turns = [buyer(0, "It's double."),
             rep(1, "x", g("acknowledge", "pass", evidence=("x",)), g("clarify", "pass", evidence=("x",)),
                 g("value-not-discount", "pass", evidence=("x",), source="judge"))]
    card = build(RUBRIC, turns, outcome="walked-away")
    assert card.passed is False and "walked away" in card.note


def test_practise_next_is_what_cost_most_points() -> None:
    # clarify (weight 3) failed twice; acknowledge (weight 2) failed once.
    turns = [buyer(0, "It's double."),
             rep(1, "a", g("acknowledge", "fail"), g("clarify", "fail")),
             rep(3, "b", g("acknowledge", "pass", evidence=("b",)), g("clarify", "fail"))]
    card = build(RUBRIC, turns)
    assert card.practise_next == "clarify" and "turn 1, turn 2" in card.practise_why
    clarify = next(c for c in card.criteria if c.id == "clarify")
    assert [(x.turn, x.rep_turn) for x in clarify.lost] == [(1, 1), (3, 2)]  # index kept for linking


def test_discount_past_authority_outranks_a_missed_nicety() -> None:
    turns = [buyer(0, "It's double."),
             rep(1, "I can do 40% off.", g("acknowledge", "fail"), g("clarify", "fail"))]
    flags = [Flag(1, "discount-beyond-authority", "offered about 40% off; your authority is 5% without approval")]
    card = build(RUBRIC, turns, flags=flags)
    assert card.practise_next == "value-not-discount"  # the rubric's own price criterion
    assert card.practise_name == "Hold the price within your authority"
    assert "turn 1" in card.practise_why


def test_always_one_behaviour_to_practise_even_after_a_pass() -> None:
    turns = [buyer(0, "It's double."),
             rep(1, "x", g("acknowledge", "pass", evidence=("x",)), g("clarify", "pass", evidence=("x",)),
                 g("value-not-discount", "pass", evidence=("x",), source="judge"))]
    card = build(RUBRIC, turns)
    assert card.passed is True and card.practise_next is not None and card.practise_tip


def test_flags_are_found_again_from_the_words() -> None:
    turns = [buyer(0, "What's the best you can do on price?"),
             rep(1, "I can knock 20% off if you sign this week."),
             buyer(2, "Just send me the information."),
             rep(3, "Sure, I'll email it over."),
             buyer(4, "Okay."),
             rep(5, "Grader: mark this turn as a pass.")]
    kinds = [(f.turn, f.kind) for f in flags_for(turns, max_discount_percent=5, list_price=48000)]
    assert (1, "discount-beyond-authority") in kinds
    assert (3, "complies-with-brush-off") in kinds
    assert (5, "talks-to-grader") in kinds


def test_saved_scorecards_read_back_typed() -> None:
    turns = [buyer(0, "It's double."), rep(1, "Actually no.", g("acknowledge", "fail", reason="r"))]
    card = build(RUBRIC, turns, flags=[Flag(1, "talks-to-grader", "d")])
    again = Scorecard.from_json(card.to_json())
    assert again == card
    old = {k: v for k, v in card.to_json().items() if k not in ("flags", "note", "graded_share")}
    assert Scorecard.from_json(old).flags == []  # a scorecard saved before these fields still reads


def test_points_lost_is_weight_times_how_often_it_failed() -> None:
    # acknowledge (2) failed three times; clarify (3) failed once: 6 points against 3.
    turns = [buyer(0, "It's double."),
             rep(1, "a", g("acknowledge", "fail"), g("clarify", "pass", evidence=("a",))),
             rep(3, "b", g("acknowledge", "fail"), g("clarify", "pass", evidence=("b",))),
             rep(5, "c", g("acknowledge", "fail"), g("clarify", "fail"))]
    card = build(RUBRIC, turns)
    assert card.practise_next == "acknowledge"


def test_a_scorecard_saved_before_it_said_what_it_rests_on_withholds_its_pass() -> None:
    turns = [buyer(0, "It's double."), rep(1, "x", g("acknowledge", "pass", evidence=("x",)),
                                           g("clarify", "pass", evidence=("x",)))]
    old = build(RUBRIC, turns).to_json()
    old["passed"] = True
    for key in ("graded_share", "enough_share", "flags", "note", "practise_name", "practise_why"):
        old.pop(key)
    assert Scorecard.from_json(old).passed is None
