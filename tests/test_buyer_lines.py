"""What the buyer may say: a model is told only what code has decided to reveal, the offline
buyer says a line only when what it refers to has happened, and `validate` checks the script."""

from __future__ import annotations

from pathlib import Path

from roleplay import library
from roleplay.engine.buyer import BuyerContext, OfflineBuyer, buyer_prompt
from roleplay.engine.records import Turn
from roleplay.engine.state import BuyerState, Move
from roleplay.models import Scenario

LIB = library.load([library.shipped_folder()])


def ctx(sid: str) -> BuyerContext:
    sc = LIB.scenarios[sid].model
    return BuyerContext(sc, LIB.persona_of(sc), sc.difficulty.medium, "medium")


def test_model_prompt_holds_no_unrevealed_fact() -> None:
    for sid in LIB.scenarios:
        c = ctx(sid)
        state = BuyerState(trust=50, patience=5)
        prompt = buyer_prompt(c, state, Move("good"))
        for fact in c.persona.hidden_facts:
            assert fact.fact not in prompt, (sid, fact.id)
        # revealed now: the fact is in the direction; revealed before: in what was told
        fact = c.persona.hidden_facts[0]
        now = buyer_prompt(c, state, Move("reveal", fact=fact))
        assert now.count(fact.fact) == 1
        state.revealed.append(fact.id)
        later = buyer_prompt(c, state, Move("good"))
        assert fact.fact in later
        for other in c.persona.hidden_facts[1:]:
            assert other.fact not in later


def test_model_prompt_names_the_topic_of_what_it_hides() -> None:
    c = ctx("price-objection")
    prompt = buyer_prompt(c, BuyerState(trust=50, patience=5), Move("good"))
    assert "things you will not discuss yet" in prompt
    for fact in c.persona.hidden_facts:
        about = fact.about or (fact.reveal.topic or "").replace("-", " ")
        assert about in prompt


def _scenario(sid: str, **script) -> Scenario:  # noqa: ANN003
    data = LIB.scenarios[sid].model.model_dump(by_alias=True, exclude_none=True)
    data["offline_script"].update(script)
    return Scenario.model_validate(data)


def test_offline_line_waits_for_what_it_refers_to() -> None:
    sc = _scenario("price-objection", good_move=[
        {"say": "Fair question. Go on.", "when": {"rep_asked": True}},
        {"say": "About that invite: no.", "when": {"rep_proposed": True}},
        "Okay.",
        "Go on.",
    ])
    c = BuyerContext(sc, LIB.persona_of(sc), sc.difficulty.medium, "medium")
    buyer = OfflineBuyer()
    state = BuyerState(trust=50, patience=5)
    told = Turn(index=1, speaker="rep", text="We are the best on the market.")
    asked = Turn(index=1, speaker="rep", text="What are you comparing it to?")
    for seed in range(30):
        line = buyer.line(c, Move("good"), [told], seed, state)
        assert line in ("Okay.", "Go on."), line
    seen = {buyer.line(c, Move("good"), [asked], seed, state) for seed in range(30)}
    assert "Fair question. Go on." in seen and "About that invite: no." not in seen
    state.proposed = True
    seen = {buyer.line(c, Move("good"), [asked], seed, state) for seed in range(30)}
    assert "About that invite: no." in seen


def test_no_line_twice_while_another_fits() -> None:
    c = ctx("price-objection")
    buyer = OfflineBuyer()
    state = BuyerState(trust=50, patience=5)
    history = [Turn(index=0, speaker="rep", text="What are you comparing it to?")]
    said = []
    n = len([x for x in c.scenario.offline_script.good_move if isinstance(x, str)])
    for i in range(n):
        line = buyer.line(c, Move("good"), history, i, state)
        assert line not in said
        said.append(line)
        history.append(Turn(index=len(history), speaker="buyer", text=line))


def _write(tmp_path: Path, text: str) -> Path:
    src = LIB.scenarios["price-objection"].path.read_text(encoding="utf-8")
    path = tmp_path / "scenarios" / "price-objection-2.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(src.replace("id: price-objection\n", "id: price-objection-2\n").replace(
        "  good_move:\n", "  good_move:\n" + text, 1), encoding="utf-8")
    return path


def test_validate_names_a_line_waiting_for_an_unknown_fact(tmp_path: Path) -> None:
    path = _write(tmp_path, "    - say: \"Thanks for asking about the loads.\"\n"
                            "      when: {revealed: [spoilage-number]}\n")
    lib = library.load([library.shipped_folder(), tmp_path])
    problems = [str(p) for p in lib.problems if str(path) in str(p)]
    assert any("no hidden fact called 'spoilage-number'; did you mean 'spoilage-numbers'?" in p for p in problems), problems
    assert any(":good_move" in p.replace("offline_script.", ":") or "good_move.0.when.revealed.0" in p
               for p in problems), problems


def test_validate_wants_a_plain_line_in_every_list(tmp_path: Path) -> None:
    src = LIB.scenarios["price-objection"].path.read_text(encoding="utf-8")
    start = src.index("  won:\n")
    end = src.index("  walked_away:\n")
    src = src[:start] + ("  won:\n    - say: \"Fine, Thursday.\"\n      when: {rep_proposed: true}\n"
                         "    - say: \"Okay, Mark it is.\"\n      when: {rep_proposed: true}\n") + src[end:]
    path = tmp_path / "scenarios" / "p3.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(src.replace("id: price-objection\n", "id: p3\n"), encoding="utf-8")
    lib = library.load([library.shipped_folder(), tmp_path])
    problems = [str(p) for p in lib.problems if str(path) in str(p)]
    assert any("offline_script.won" in p and "plain line" in p for p in problems), problems


def test_model_prompt_drops_persona_sentences_that_repeat_a_secret() -> None:
    """A persona's situation often repeats what it hides ('Keep the MedCo contract ($1.2M a year)')."""
    import re

    for sid in LIB.scenarios:
        c = ctx(sid)
        prompt = buyer_prompt(c, BuyerState(trust=50, patience=5), Move("good"))
        public = " ".join([c.scenario.summary, c.scenario.rep_brief.price, c.scenario.rep_brief.history,
                           " ".join(c.scenario.rep_brief.notes), c.scenario.objective.milestone,
                           c.scenario.opening.line or "", c.persona.name, c.persona.role, c.persona.company.name,
                           c.persona.company.size])
        for fact in c.persona.hidden_facts:
            for figure in re.findall(r"\$\d[\d,.]*\d|\b\d{3}[\d,.]*\b", fact.fact):
                if figure not in public:
                    assert figure not in prompt, (sid, fact.id, figure)


async def test_hints_never_name_what_the_buyer_has_not_told(tmp_path: Path) -> None:
    from roleplay.engine.buyer import leaks
    from roleplay.engine.session import Session, Setup
    from roleplay.store import Store

    store = Store(tmp_path / "h.db")
    for sid in LIB.scenarios:
        for difficulty in ("easy", "hard"):
            s = Session.begin(Setup.from_library(LIB, sid, difficulty), store, store.rep("H"), seed=3)
            for line in ("Hello there.", "What does this cost you today?", "Can we meet Tuesday at 3?"):
                hidden = [f for f in s.setup.persona.hidden_facts if f.id not in s.state.revealed]
                said = " ".join(t.text for t in s.turns)
                unsaid = [f for f in hidden if not leaks(said, [f])]
                assert not leaks(s.hint(), unsaid), (sid, difficulty, s.hint())
                async for _ in s.say(line):
                    pass
                if s.over:
                    break


async def test_plan_check_quotes_the_buyer_turn_that_told_it(tmp_path: Path) -> None:
    from roleplay.engine.plan import check
    from roleplay.engine.session import Session, Setup
    from roleplay.store import Store

    store = Store(tmp_path / "p.db")
    s = Session.begin(Setup.from_library(LIB, "price-objection", "easy"), store, store.rep("P"), seed=1)
    for line in ("That's a fair reaction: forty-eight against twenty-one is a big jump. What are you comparing it to?",
                 "What does a spoiled load cost you when it happens?"):
        async for _ in s.say(line):
            pass
    assert "spoilage-numbers" in s.state.revealed
    at = s.state.told["spoilage-numbers"]
    said = next(t.text for t in s.turns if t.index == at)
    items = check({"information": "what spoilage costs them"}, s.turns, s.setup.persona, s.state.revealed,
                  s.state.told)
    assert items[0].found == said
