"""How big the judge's input is per turn, as a call gets long: the window against the whole call.

Builds a long practice call on a shipped scenario (price-objection, Dana):
realistic rep lines (questions, acknowledgments, pitches, asks, a ramble) and
the buyer lines of the scenario's own offline script, 62 rep turns. For rep
turns 3, 10, 30 (and 60, to show it stays flat) it builds the judge's prompt two ways, in the same run:

  - window (today): `judge_messages` with the buyer state of a real session
    (trust, objections raised and handled, facts revealed) as `JudgeContext`;
  - whole call (the old shape, reimplemented here): every turn so far in
    `call_so_far`, as the judge sent it before the window.

Tokens are estimated as characters / 4 over the system and user messages
(a simple, deterministic estimator; real tokenisers give ~the same ratio for
English). Prints both sizes per turn, and turn30 / turn3 for each. The
end-of-call prompt (grade_call) is printed too. Floor: window turn30/turn3
<= 1.3.

    python bench/judge_tokens.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from library_lines import strings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from roleplay import library  # noqa: E402
from roleplay.engine.judge import SYSTEM, JudgeContext, describe_criterion, judge_messages  # noqa: E402
from roleplay.engine.records import Turn  # noqa: E402

REP_LINES = [
    "That's fair, Dana. Forty-eight is a real jump from what you pay Fleetwise today.",
    "When you say it won't fly, what are you comparing the forty-eight to: the licence, or what dispatch costs you overall?",
    "What happens on your side when a pharmacy load spoils in transit?",
    "Our sensors log temperature every thirty seconds and alert your dispatcher before anything warms up.",
    "That makes sense. How many loads did you lose this quarter, roughly?",
    "So two loads at thirty-eight each is seventy-six thousand this quarter, more than a year of RouteIQ.",
    "Who else would need to sign off before a change like this goes ahead?",
    "How are you handling the MedCo contract requirements at the moment?",
    "I hear you. If we put the spoilage cost in numbers together, would that help with finance?",
    "We're the market leader in cold-chain telematics, with the best dashboard, a mobile app, "
    "integrations with Samsara and Geotab, and onboarding where we migrate all your Fleetwise data.",
    "So if I understand you right, the real risk is losing MedCo, not the monthly fee?",
    "What would Mark need to see in a payback number to take it seriously?",
    "Does that change how the price looks to you, or is there something I'm still missing?",
    "Could we book thirty minutes on Thursday at 10am with you and Mark to walk through the business case?",
    "Understood. What does a typical week look like for your dispatch team when an alert goes off?",
    "Thanks for being straight with me. What would you want to see before you take it upstairs?",
    "Forty-eight is the price. What I'd rather do is build a one-page business case with you.",
]


def long_call(scenario_id: str = "price-objection", rep_turns: int = 62) -> tuple[list[Turn], list]:
    """The turns of a long call, and the buyer state before each rep turn (from the scenario)."""
    lib = library.load([library.shipped_folder()])
    scenario = lib.find("scenario", scenario_id).model
    persona = lib.persona_of(scenario)
    # every line of the offline script, whatever situations it is keyed by, and the objections
    buyer_lines = sorted(set(strings(scenario.offline_script.model_dump()))) \
        + [o.line for o in persona.objections]
    turns = [Turn(index=0, speaker="buyer", text=scenario.opening.line)]
    contexts = []
    objections = [o for o in persona.objections]
    facts = [f for f in persona.hidden_facts]
    for i in range(rep_turns):
        # the buyer as a session would find them: objections raised then handled, facts earned
        raised = objections[: 1 + i // 6]
        contexts.append(JudgeContext(
            trust=min(90, 35 + 2 * i), patience_left=max(0, 40 - i),
            objections=tuple((o.line, "handled" if k < len(raised) - 1 else "open")
                             for k, o in enumerate(raised)),
            revealed=tuple(f.fact for f in facts[: i // 5])))
        turns.append(Turn(index=len(turns), speaker="rep", text=REP_LINES[i % len(REP_LINES)]))
        turns.append(Turn(index=len(turns), speaker="buyer", text=buyer_lines[(i * 7) % len(buyer_lines)]))
    return turns, contexts


def old_messages(rubric, criteria, history: list[Turn], turn: Turn | None) -> list[dict[str, str]]:
    """The judge's prompt as it was before the window: the whole call, every turn."""
    call = [{"speaker": t.speaker, "text": t.text or f"({t.note})"} for t in history]
    data = {"rubric": rubric.title, "criteria": [describe_criterion(c) for c in criteria],
            "call_so_far": call}
    if turn is not None:
        data["rep_turn_to_grade"] = turn.text
        ask = "Grade the rep turn in rep_turn_to_grade against each criterion."
    else:
        ask = "Grade the whole call (all rep turns) against each criterion."
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": ask + " The data:\n" + json.dumps(data, ensure_ascii=False)}]


def tokens(messages: list[dict[str, str]]) -> int:
    """Estimated tokens: characters / 4 over every message's content."""
    return round(sum(len(m["content"]) for m in messages) / 4)


def at_rep_turn(turns: list[Turn], n: int) -> tuple[list[Turn], Turn]:
    reps = [i for i, t in enumerate(turns) if t.speaker == "rep"]
    i = reps[n - 1]
    return turns[:i], turns[i]


def measure(rep_turns: tuple[int, ...] = (3, 10, 30)) -> dict[str, dict[int, int]]:
    lib = library.load([library.shipped_folder()])
    rubric = lib.find("rubric", "objection-handling").model
    # the same criteria every turn, so only the call's length changes the size
    criteria = [c for c in rubric.criteria if c.applies != "end-of-call"]
    turns, contexts = long_call()
    out: dict[str, dict[int, int]] = {"window": {}, "whole call": {}}
    for n in rep_turns:
        history, turn = at_rep_turn(turns, n)
        out["window"][n] = tokens(judge_messages(rubric, criteria, history, turn, contexts[n - 1]))
        out["whole call"][n] = tokens(old_messages(rubric, criteria, history, turn))
    out["window"][0] = tokens(judge_messages(rubric, criteria, turns, None, contexts[-1]))
    out["whole call"][0] = tokens(old_messages(rubric, criteria, turns, None))
    return out


def main() -> int:
    at = (3, 10, 30, 60)
    sizes = measure(at)
    turns, _ = long_call()
    reps = sum(t.speaker == "rep" for t in turns)
    print(f"Judge input per graded rep turn, price-objection call of {reps} rep turns "
          f"({len(turns)} turns), objection-handling criteria;")
    print("tokens estimated as characters / 4 (system + user message).\n")
    print(f"{'rep turn':>10}  {'window (now)':>14}  {'whole call (old)':>17}")
    for n in at:
        print(f"{n:>10}  {sizes['window'][n]:>14,}  {sizes['whole call'][n]:>17,}")
    r_new = sizes["window"][30] / sizes["window"][3]
    r_old = sizes["whole call"][30] / sizes["whole call"][3]
    print(f"{'30 / 3':>10}  {r_new:>13.2f}x  {r_old:>16.2f}x")
    per_turn_new = (sizes["window"][30] - sizes["window"][3]) / 27
    per_turn_old = (sizes["whole call"][30] - sizes["whole call"][3]) / 27
    print(f"{'per turn':>10}  {per_turn_new:>+13.1f}   {per_turn_old:>+16.1f}   (tokens added a turn, 3 -> 30)")
    print(f"\nEnd of call (grade_call, {reps} rep turns): window {sizes['window'][0]:,} tokens, "
          f"whole call {sizes['whole call'][0]:,}.")
    ok = r_new <= 1.3
    print(f"\nFloor: window turn30/turn3 <= 1.30: {'met' if ok else 'NOT MET'} ({r_new:.2f}).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
