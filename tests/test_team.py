"""Practising together (engine and store): who typed each turn, tag team, hot seat, a colleague as
the buyer, an observer's marks, the team scoreboard and the observer/grader agreement."""

from __future__ import annotations

import json

import pytest

from roleplay import practice
from roleplay.engine.session import BuyerCue, BuyerTurnSaved, CallOver, Session
from roleplay.engine.team import KAPPA_FROM, agreement
from roleplay.settings import Settings

OFFLINE = Settings(offline=True)
ACK = "That's a fair reaction. What are you comparing it to?"
COST = "What does a spoiled load cost you when it happens?"
ASK = "Could we get 30 minutes with you and Mark on Thursday at 10 to walk through the numbers?"
DISCOUNT = "I could knock ten percent off if you sign this month."


async def say_all(session: Session, *lines: str, buyer: str | None = None) -> list:
    events = []
    for line in lines:
        events += [e async for e in session.say(line)]
        if buyer is not None and session.awaiting_reply:
            events += session.buyer_says(buyer)
        if session.over:
            break
    return events


async def test_tag_team_turns_alternate_and_each_names_who_typed_it(lib, store) -> None:
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana", "Ben"], mode="tag-team")
    assert s.typing.name == "Ana"
    await say_all(s, ACK, COST)
    assert s.typing.name == "Ana"  # back round to Ana after Ben
    s.hand_over("ben")  # a key hands over early, by any case or the start of a name
    await say_all(s, ASK)
    authors = [t.author for t in store.turns(s.id) if t.speaker == "rep"]
    assert authors == ["Ana", "Ben", "Ben"]
    assert s.typing.name == "Ana"
    assert s.undo_last() == ASK and s.typing.name == "Ben"  # taken back: Ben edits and sends it again
    await say_all(s, ASK)
    with pytest.raises(LookupError, match="Cleo is not in this session"):
        s.hand_over("Cleo")
    again = practice.resume_session(OFFLINE, store, lib, s.id)
    assert [r.name for r in again.reps] == ["Ana", "Ben"] and again.typing.name == "Ana"
    data = json.loads(practice.export_text(store, store.session(s.id), "json"))
    assert [t["rep"] for t in data["turns"] if t["speaker"] == "rep"] == ["Ana", "Ben", "Ben"]
    assert all(t["marks"] == [] for t in data["turns"] if t["speaker"] == "rep")


async def test_a_solo_session_s_turns_name_the_rep(lib, store) -> None:
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana"])
    await say_all(s, ACK)
    data = practice.export_json(store, store.session(s.id))
    assert [t["rep"] for t in data["turns"] if t["speaker"] == "rep"] == ["Ana"]
    assert "Rep (Ana)" not in practice.export_markdown(store, store.session(s.id))  # alone: no names needed


@pytest.mark.parametrize(("reps", "mode", "buyer", "said"), [
    (["Ana"], "hot-seat", None, "hot seat needs two or more reps"),
    (["Ana", "ana"], "tag-team", None, "a name is given twice"),
    (["Ana", "Ben"], "tag-team", "Ben", "Ben cannot play the buyer and a rep"),
    (["Ana", "Ben"], "relay", None, "no mode 'relay'"),
    ([" "], "solo", None, "name who is practising"),
])
def test_a_team_that_cannot_be_is_a_sentence(lib, store, reps, mode, buyer, said) -> None:
    with pytest.raises(LookupError, match=said):
        practice.open_session(OFFLINE, store, lib, "price-objection", "medium", reps, mode=mode, buyer_player=buyer)


async def test_hot_seat_gives_each_rep_the_same_buyer_and_a_scoreboard_compares_them(lib, store) -> None:
    first = practice.open_session(OFFLINE, store, lib, "price-objection", "hard", ["Ana", "Ben"], mode="hot-seat")
    await say_all(first, ACK, ASK)
    await first.end()
    assert practice.next_in_hot_seat(store, first.team_id) == "Ben"
    second = practice.open_session(OFFLINE, store, lib, "price-objection", "hard", ["Ben"], mode="hot-seat",
                                   team_id=first.team_id)
    assert (second.seed, second.turns[0].text) == (first.seed, first.turns[0].text)
    await say_all(second, ACK, COST, "How often does that happen?")
    await second.end()
    assert practice.next_in_hot_seat(store, first.team_id) is None
    board = practice.team_board(store, lib, first.team_id)
    assert [r.rep for r in board.reps] == ["Ana", "Ben"]
    ana, ben = board.reps
    assert ana.criteria["next-step"] == 1.0 and ben.criteria["next-step"] == 0.0
    assert board.leads == ["Ana leads on \u201cAsks for a concrete next step\u201d"]
    assert ana.evidence["next-step"] == [ASK]
    md = board.markdown()
    assert "| Asks for a concrete next step | 100 | 0 |" in md and "**Who leads:** Ana leads on" in md
    assert json.loads(json.dumps(board.to_json()))["reps"][1]["rep"] == "Ben"


async def test_tag_team_scoreboard_scores_each_rep_on_their_own_turns(lib, store) -> None:
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana", "Ben"], mode="tag-team")
    await say_all(s, ACK, DISCOUNT, COST, ASK)
    await s.end()
    board = practice.team_board(store, lib, s.team_id)
    ana, ben = board.reps
    assert (ana.turns, ben.turns, ana.share) == (2, 2, 0.5)
    assert ana.criteria["acknowledge"] == 1.0 and ana.criteria["next-step"] == 0.0  # she never asked
    assert ben.criteria["value-not-discount"] == 0.0 and ben.criteria["next-step"] == 1.0
    assert ana.objective == ben.objective  # the call's outcome is shared
    assert "| Share of the rep's turns | 50% (2) | 50% (2) |" in board.markdown()


async def test_a_colleague_plays_the_buyer_with_cues_and_typed_lines(lib, store) -> None:
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana"], buyer_player="Carla")
    assert s.turns[0].author is None  # the scenario's opening line, not typed by Carla
    assert store.session(s.id).buyer.startswith("colleague: Carla")
    events = [e async for e in s.say(ACK)]
    cue = next(e for e in events if isinstance(e, BuyerCue))
    assert cue.line and cue.do and cue.trust_to_agree > 0
    assert s.awaiting_reply and not any(isinstance(e, BuyerTurnSaved) for e in events)
    # the rep cannot talk over the buyer: the turn is not sent, and said so
    held = [e async for e in s.say(COST)]
    assert "Waiting for Carla's line" in held[0].message
    assert [t.speaker for t in store.turns(s.id)] == ["buyer", "rep"]
    saved = s.buyer_says("  Fine, compared to Fleetwise's licence.  ")
    assert isinstance(saved[0], BuyerTurnSaved) and saved[0].turn.author == "Carla"
    assert store.turns(s.id)[-1].text == "Fine, compared to Fleetwise's licence."
    events = [e async for e in s.say(COST)]
    cue = next(e for e in events if isinstance(e, BuyerCue))
    assert cue.move == "reveal" and "would now tell them something hidden" in cue.do
    resumed = practice.resume_session(OFFLINE, store, lib, s.id)
    assert resumed.buyer_player == "Carla" and resumed.cue().move == "reveal"


async def test_a_colleague_s_walk_away_ends_the_call_after_their_line(lib, store) -> None:
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "hard", ["Ana"], buyer_player="Carla")
    cue = None
    for _ in range(12):
        events = [e async for e in s.say(DISCOUNT)]
        cue = next((e for e in events if isinstance(e, BuyerCue)), cue)
        if cue and cue.ends_call:
            break
        s.buyer_says("Hm.")
    assert cue is not None and cue.ends_call and cue.move == "walked-away"
    assert "walk away" in cue.do
    out = s.buyer_says("I think we're done here.")
    assert isinstance(out[-1], CallOver) and out[-1].outcome == "walked-away"


async def test_marks_are_kept_with_their_turn_and_set_beside_the_grader(lib, store) -> None:
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana"])
    with pytest.raises(LookupError, match="no rep turn to mark yet"):
        s.mark("good")
    await say_all(s, ACK, DISCOUNT)
    with pytest.raises(LookupError, match="turn 0 is the buyer's"):
        s.mark("good", turn=0)
    with pytest.raises(ValueError, match="a note needs some words"):
        s.mark("note", note="  ")
    with pytest.raises(LookupError, match="no criterion 'charm'"):
        s.mark("good", criterion="charm")
    reps = [t.index for t in s.turns if t.speaker == "rep"]
    s.mark("good", turn=reps[0], criterion="acknowledge", observer="Maria")  # the grader passed it
    s.mark("good", note="bold, I liked it")  # the last turn: the grader failed the discount
    s.mark("note", note="watch the tone")
    marks = store.marks(s.id)
    assert [(m.turn, m.kind, m.criterion) for m in marks] == [(reps[0], "good", "acknowledge"),
                                                               (reps[1], "good", None), (reps[1], "note", None)]
    found = {a.criterion: a for a in agreement([(c.id, c.name) for c in s.setup.rubric.criteria], s.turns, marks)}
    assert (found["acknowledge"].agree, found["acknowledge"].compared) == (1, 1)
    whole = found["whole turn"]
    assert (whole.agree, whole.compared, whole.kappa) == (0, 1, None)
    assert whole.disagreements[0].grader == "fail" and "too few marks for a kappa" in whole.words()
    await s.end()
    data = practice.export_json(store, store.session(s.id))
    last = [t for t in data["turns"] if t["speaker"] == "rep"][-1]
    assert [m["kind"] for m in last["marks"]] == ["good", "note"]
    assert data["observer_agreement"][0]["criterion"] == "acknowledge"
    md = practice.export_markdown(store, store.session(s.id))
    assert "Observer by Maria: GOOD on acknowledge" in md and "a coaching moment" in md
    # taking a turn back takes its marks with it
    s2 = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana"])
    await say_all(s2, ACK)
    s2.mark("missed")
    s2.undo_last()
    assert store.marks(s2.id) == []


def test_kappa_is_given_only_from_enough_marks(lib) -> None:
    from roleplay.engine.records import Grade, Mark, Turn

    turns, marks = [], []
    for i in range(KAPPA_FROM):
        verdict = "pass" if i % 2 else "fail"
        turns.append(Turn(index=i, speaker="rep", text="x", grades=[
            Grade(criterion="acknowledge", verdict=verdict, score=1.0 if i % 2 else 0.0, source="signal")]))
        marks.append(Mark(turn=i, kind="good" if (i % 2 or i == 0) else "missed", criterion="acknowledge"))
    (a,) = agreement([("acknowledge", "Acknowledges the concern")], turns, marks)
    assert (a.agree, a.compared) == (KAPPA_FROM - 1, KAPPA_FROM)
    assert a.kappa is not None and 0.5 < a.kappa < 1
    assert f"{KAPPA_FROM - 1} of {KAPPA_FROM} marks agree with the grader, kappa" in a.words()


def test_the_engine_never_imports_the_store() -> None:
    """The engine talks to storage through engine.ports; the store imports the engine, not back."""
    import subprocess
    import sys

    code = ("import sys, roleplay.engine.session, roleplay.engine.team, roleplay.engine.scorecard; "
            "print('roleplay.store' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.stdout.strip() == "False", out.stderr


async def test_a_session_is_kept_by_any_store_with_the_protocol_s_methods(lib, tmp_path) -> None:
    """A store seen only through engine.ports.SessionStore: the engine needs nothing else of it."""
    from roleplay.engine.ports import SessionStore
    from roleplay.engine.session import Setup
    from roleplay.store import Store

    real = Store(tmp_path / "r.db")
    allowed = {name for name in vars(SessionStore) if not name.startswith("_")}

    class OnlyThePort:
        def __getattr__(self, name: str):  # noqa: ANN204
            if name not in allowed:
                raise AssertionError(f"the engine used store.{name}, which is not in engine.ports")
            return getattr(real, name)

    port = OnlyThePort()
    setup = Setup.from_library(lib, "price-objection", "medium")
    s = Session.begin(setup, port, port.rep("Ana"), seed=3)
    await say_all(s, ACK, DISCOUNT, ASK)
    s.mark("good")
    s.undo_last()
    await say_all(s, ASK)
    await s.end()
    again = Session.resume(port, s.id, setup)
    assert [t.text for t in again.turns if t.speaker == "rep"] == [ACK, DISCOUNT, ASK]
    real.close()


async def test_a_tag_team_call_is_in_every_typist_s_history(lib, store, capsys, history_env) -> None:
    from roleplay.cli import main
    solo = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ben"])
    await say_all(solo, ACK)
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana", "Ben", "Cleo"],
                              mode="tag-team")
    await say_all(s, ACK, COST)  # Cleo never typed
    assert [r.id for r in store.sessions("Ben")] == [s.id, solo.id]
    assert store.count_sessions("Ben") == 2 and store.count_sessions("Ana") == 1
    assert store.sessions("Cleo") == [] and store.count_sessions("Cleo") == 0
    assert [r.id for r in store.sessions("Ben", limit=1)] == [s.id]
    assert [r.id for r in store.sessions("Ben", limit=1, offset=1)] == [solo.id]
    assert store.sessions("Ben", light=True)[0].who == "Ana+Ben+Cleo"
    store.close()
    assert main(["history", "--rep", "Ben"]) == 0
    out = capsys.readouterr().out
    assert "Ana+Ben+Cleo" in out and out.count("price-objection") == 2


async def ben_alone_then_a_tag_team_with_ana(lib, store) -> None:  # noqa: ANN001
    """Ben finishes a call of his own, then Ana, Ben and Cleo one in a tag team (Cleo never types)."""
    solo = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ben"])
    await say_all(solo, ACK)
    await solo.end()
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana", "Ben", "Cleo"],
                              mode="tag-team")
    await say_all(s, ACK, COST)  # Cleo never typed
    await s.end()


async def test_a_tag_team_call_counts_in_the_report_of_every_rep_who_typed(lib, store) -> None:
    from roleplay import report

    await ben_alone_then_a_tag_team_with_ana(lib, store)
    team = report.build_report(store, lib, team=True)
    by = {r.rep: r for r in team.reps}
    assert (by["Ana"].sessions, by["Ben"].sessions) == (1, 2) and "Cleo" not in by and "Cleo" in team.idle
    assert (by["Ana"].together, by["Ben"].together) == (1, 1)
    sessions_line = dict((label, text) for label, text, _ in by["Ben"].facts())["Sessions"]
    assert sessions_line.startswith("2 finished (1 of them a tag-team call, scored as a team)")
    assert team.sessions == 2  # calls, not one per typist
    ben = report.build_report(store, lib, rep="Ben").reps[0]
    assert ben.sessions == 2
    acknowledge = next(c for c in ben.criteria if c.id == "acknowledge")
    assert acknowledge.graded == 2  # the tag-team call's grades are in Ben's lines too
    assert "\"together\": 1" in report.build_report(store, lib, rep="Ana").text("json")


async def test_a_tag_team_call_is_in_the_progress_of_every_rep_who_typed(lib, store) -> None:
    await ben_alone_then_a_tag_team_with_ana(lib, store)
    assert len(store.session_starts("Ben")) == 2 and len(store.session_starts("Ana")) == 1
    assert store.session_starts("Cleo") == []
    acknowledged = [c for c in store.criterion_scores("Ben") if c[1] == "acknowledge"]
    assert len(acknowledged) == 2
    assert [b[0] for b in store.scenario_bests("Ben")] == ["price-objection"]
    assert store.scenario_bests("Cleo") == [] and store.criterion_scores("Cleo") == []
