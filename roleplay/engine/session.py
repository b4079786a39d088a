"""One practice session: the rep speaks, the engine grades, the buyer answers, all of it saved.

A rep turn goes: signals and their grades (instant) -> the buyer state and
move (code) -> the turn committed -> the buyer's reply streams while the
judge grades the same turn, concurrently -> each result committed before it
is handed to the front end. The front end only draws the events.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from ..models import Difficulty, Persona, Rubric, Scenario
from ..store import CALL, Rep, Store
from . import scorecard as scorecards
from .buyer import Buyer, BuyerContext, OfflineBuyer, silence_note
from .grading import analyse, applies, signal_grades
from .judge import Judge, JudgeContext, OfflineJudge
from .records import Grade, Turn
from .state import BuyerState, Move, advance, start


@dataclass
class Setup:
    """A scenario resolved for practice: its persona, rubric and chosen difficulty."""

    scenario: Scenario
    persona: Persona
    rubric: Rubric
    difficulty_name: str

    @property
    def difficulty(self) -> Difficulty:
        return self.scenario.difficulty.get(self.difficulty_name)  # type: ignore[arg-type]

    @property
    def context(self) -> BuyerContext:
        return BuyerContext(self.scenario, self.persona, self.difficulty, self.difficulty_name)

    @classmethod
    def from_library(cls, lib, scenario_ref: str, difficulty: str = "medium") -> Setup:  # noqa: ANN001
        entry = lib.find("scenario", scenario_ref)
        scenario = entry.model
        if str(entry.path) in lib.broken:
            raise LookupError(f"scenario '{scenario.id}' has problems; run 'roleplay validate {entry.path}'")
        persona, rubric = lib.persona_of(scenario), lib.rubric_of(scenario)
        if persona is None or rubric is None:
            raise LookupError(f"scenario '{scenario.id}' refers to a missing persona or rubric; "
                              f"run 'roleplay validate {entry.path}'")
        if difficulty not in ("easy", "medium", "hard"):
            raise LookupError(f"no difficulty '{difficulty}': use easy, medium or hard")
        return cls(scenario, persona, rubric, difficulty)


MAX_REDO = 30
"""How many turns can be taken back, one after another."""


# Events handed to a front end, in the order they happen.
@dataclass
class RepTurnSaved:
    turn: Turn


@dataclass
class BuyerPiece:
    text: str


@dataclass
class BuyerTurnSaved:
    turn: Turn
    move: Move
    state: BuyerState


@dataclass
class JudgeGrades:
    turn_index: int
    grades: list[Grade]


@dataclass
class Notice:
    message: str


@dataclass
class ReplyFailed:
    """No reply could be had; nothing was lost, and `retry_reply` tries again."""

    message: str
    partial: str = ""


@dataclass
class CallOver:
    outcome: str


Event = RepTurnSaved | BuyerPiece | BuyerTurnSaved | JudgeGrades | Notice | ReplyFailed | CallOver


def _move_json(move: Move) -> dict:
    return {"kind": move.kind, "trust_delta": move.trust_delta, "days_passed": move.days_passed,
            "why": move.why, "objection": move.objection.id if move.objection else None,
            "fact": move.fact.id if move.fact else None}


def _move_from(data: dict, persona: Persona) -> Move:
    return Move(
        kind=data["kind"], trust_delta=data.get("trust_delta", 0), days_passed=data.get("days_passed", 0),
        why=data.get("why", ""),
        objection=next((o for o in persona.objections if o.id == data.get("objection")), None),
        fact=next((f for f in persona.hidden_facts if f.id == data.get("fact")), None))


@dataclass
class Session:
    setup: Setup
    store: Store
    id: str
    rep: Rep
    buyer: Buyer
    judge: Judge
    seed: int
    state: BuyerState
    turns: list[Turn] = field(default_factory=list)
    past: list[BuyerState] = field(default_factory=list)  # the state before each rep turn, for redo
    pending: Move | None = None  # the move whose reply has not been saved yet
    llm: object | None = None  # roleplay.llm.client.LLM, for usage accounting
    recommend: Callable[[str], str | None] | None = None
    scorecard: scorecards.Scorecard | None = None

    # ---- starting and resuming
    @classmethod
    def begin(cls, setup: Setup, store: Store, rep: Rep, *, buyer: Buyer | None = None,
              judge: Judge | None = None, seed: int | None = None, plan: dict | None = None,
              llm: object | None = None) -> Session:
        buyer = buyer or OfflineBuyer()
        judge = judge or OfflineJudge()
        seed = random.randrange(1_000_000) if seed is None else seed
        state, opener = start(setup.scenario, setup.persona, setup.difficulty)
        sid = store.start_session(
            rep=rep, scenario_id=setup.scenario.id, scenario_title=setup.scenario.title,
            rubric_id=setup.rubric.id, difficulty=setup.difficulty_name, buyer=buyer.label,
            judge=judge.label, seed=seed, state={"state": state.to_json()}, plan=plan)
        session = cls(setup, store, sid, rep, buyer, judge, seed, state, llm=llm)
        if setup.scenario.opening.silent_days is not None:
            days = setup.scenario.opening.silent_days
            first = Turn(index=0, speaker="buyer", text="",
                         note=f"No reply for {days} days since your last email. Write your follow-up.")
        else:
            # The manager's opening line is how the buyer raises an at-opening
            # objection; its own line is only needed when there is no opening text.
            line = buyer.opening(setup.context, seed) or (opener.line if opener else "")
            first = Turn(index=0, speaker="buyer", text=line)
        state.last_move = "objection" if opener is not None else None
        if opener is not None:
            state.voiced[opener.id] = 0
        session._save(first)
        return session

    @classmethod
    def resume(cls, store: Store, session_id: str, setup: Setup, *, buyer: Buyer | None = None,
               judge: Judge | None = None, llm: object | None = None) -> Session:
        row = store.session(session_id)
        if row is None:
            raise LookupError(f"no session '{session_id}'")
        saved = row.state
        state = BuyerState.from_json(saved["state"])
        turns = store.turns(row.id)
        stored = store.past_states(row.id, MAX_REDO)
        if not stored and saved.get("past"):
            # Saved before past states had their own rows: the list ends at the last rep turn.
            reps = [t.index for t in turns if t.speaker == "rep"]
            pairs = list(zip(reps[-len(saved["past"]):], saved["past"][-len(reps):]))
            store.put_past_states(row.id, pairs)
            stored = [p for _, p in pairs]
        past = [BuyerState.from_json(p) for p in stored]
        session = cls(setup, store, row.id, store.rep(row.rep), buyer or OfflineBuyer(),
                      judge or OfflineJudge(), row.seed, state, turns,
                      past=past, llm=llm)
        last = session.turns[-1] if session.turns else None
        if saved.get("pending") and last is not None and (last.speaker == "rep" or last.interrupted):
            session.pending = _move_from(saved["pending"], setup.persona)
        usage = getattr(llm, "usage", None)
        if usage is not None:  # carry on counting from what the session already used
            usage.prompt_tokens, usage.completion_tokens, usage.cost = (
                row.prompt_tokens, row.completion_tokens, row.cost)
        return session

    # ---- the conversation
    @property
    def over(self) -> bool:
        return self.state.over

    @property
    def awaiting_reply(self) -> bool:
        return self.pending is not None

    def _persist(self) -> dict:
        # The states before past rep turns (for redo) are rows of their own, each written once
        # with its turn: a turn saves only what changed.
        return {"state": self.state.to_json(),
                "pending": _move_json(self.pending) if self.pending else None}

    def _save(self, turn: Turn, past: BuyerState | None = None) -> None:
        self.store.add_turn(self.id, turn, state=self._persist(),
                            past=past.to_json() if past is not None else None)
        self.turns = [t for t in self.turns if t.index != turn.index] + [turn]
        self.turns.sort(key=lambda t: t.index)

    async def say(self, text: str, *, hint_used: bool = False) -> AsyncIterator[Event]:
        """The rep's turn, and everything that follows from it."""
        text = text.strip()
        if not text:
            return
        if self.over:
            yield Notice("The call is over. End it to see your scorecard.")
            return
        if self.pending is not None:
            yield Notice("The buyer has not answered your last turn yet; retrying the reply first.")
            async for event in self.retry_reply():
                yield event
            if self.pending is not None:
                yield Notice("Your new turn was not sent, because the buyer's last reply is still "
                             "missing. Send it again once the reply has come.")
                return
        s = self.setup
        buyer_last = next((t.text for t in reversed(self.turns) if t.speaker == "buyer"), "")
        rep_before = [t.text for t in self.turns if t.speaker == "rep"]
        brief = s.scenario.rep_brief
        signals = analyse(text, buyer_last, rep_before, max_discount_percent=brief.max_discount_percent,
                          list_price=brief.list_price)
        # The rep's answer to an objection is graded as one for as long as it stays open.
        after_objection = self.state.objection_on_table
        grades = signal_grades(s.rubric, signals, after_objection=after_objection)
        index = (self.turns[-1].index + 1) if self.turns else 0
        turn = Turn(index=index, speaker="rep", text=text, grades=grades, hint_used=hint_used)
        new_state, move = advance(self.state, text, signals, {g.criterion: g for g in grades},
                                  s.scenario, s.persona, s.rubric, s.difficulty,
                                  seed=self.seed + index, buyer_last=buyer_last,
                                  heard=" ".join(t.text for t in self.turns if t.speaker == "buyer"))
        new_state.last_move = move.kind
        before = self.state
        self.past.append(before)
        self.state, self.pending = new_state, move
        try:
            self._save(turn, past=before)
        except BaseException:
            # Not saved (a full disk, a read-only folder): the session stays as it was, so the
            # rep's words can be sent again once the problem is fixed.
            self.past.pop()
            self.state, self.pending = before, None
            raise
        yield RepTurnSaved(turn)

        criteria = [c for c in s.rubric.criteria if applies(c, after_objection=after_objection)]
        history = list(self.turns)
        # The judge's summary of the call is the buyer as the rep's turn found them.
        context = JudgeContext.from_state(self.past[-1], s.persona)
        judging = asyncio.create_task(self.judge.grade_turn(s.rubric, criteria, history[:-1], turn,
                                                            context=context))
        async for event in self._reply_and(judging, index):
            yield event

    async def retry_reply(self) -> AsyncIterator[Event]:
        """Ask for the buyer's reply again, after a failed or cut-off one."""
        if self.pending is None:
            return
        judging, rep_index = None, None
        reps = [t for t in self.turns if t.speaker == "rep"]
        if reps and not any(g.source == "judge" for g in reps[-1].grades):
            # The judge of that turn died with the process (a crash before the reply): judge it now.
            turn = reps[-1]
            after_objection = bool(self.past) and self.past[-1].objection_on_table
            criteria = [c for c in self.setup.rubric.criteria if applies(c, after_objection=after_objection)]
            history = [t for t in self.turns if t.index < turn.index]
            context = JudgeContext.from_state(self.past[-1] if self.past else None, self.setup.persona)
            judging = asyncio.create_task(self.judge.grade_turn(self.setup.rubric, criteria, history, turn,
                                                                context=context))
            rep_index = turn.index
        async for event in self._reply_and(judging, rep_index):
            yield event

    async def _reply_and(self, judging: asyncio.Task | None, rep_index: int | None) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        # Provider retries show up as calm notices among the turn's events (and go back to
        # wherever they went before once the turn is over).
        outside = getattr(self.llm, "notice", None)
        if self.llm is not None:
            self.llm.notice = lambda message: queue.put_nowait(Notice(message))  # type: ignore[attr-defined]
        workers = [asyncio.create_task(self._reply(queue))]
        if judging is not None and rep_index is not None:
            workers.append(asyncio.create_task(self._collect_judge(judging, rep_index, queue)))
        finished = 0
        try:
            while finished < len(workers):
                event = await queue.get()
                if event is None:
                    finished += 1
                    continue
                yield event
        finally:
            for w in workers:
                if not w.done():
                    w.cancel()
            if self.llm is not None:
                self.llm.notice = outside  # type: ignore[attr-defined]
        for w in workers:
            if not w.cancelled() and w.exception() is not None:
                raise w.exception()  # type: ignore[misc]
        self._save_usage()
        if self.over and self.pending is None:
            yield CallOver(self.state.outcome)

    async def _collect_judge(self, judging: asyncio.Task, rep_index: int,
                             queue: asyncio.Queue[Event | None]) -> None:
        try:
            grades = await judging
            self.store.add_grades(self.id, rep_index, grades)
            for t in self.turns:
                if t.index == rep_index:
                    t.grades = t.grades + grades
            await queue.put(JudgeGrades(rep_index, grades))
        finally:
            await queue.put(None)

    async def _reply(self, queue: asyncio.Queue[Event | None]) -> None:
        from ..llm.client import Interrupted, ProviderError

        try:
            move = self.pending
            assert move is not None
            ctx = self.setup.context
            index = self.turns[-1].index + 1
            if self.turns[-1].speaker == "buyer":  # an interrupted reply is being replaced
                index = self.turns[-1].index
            if move.kind == "silence":
                note, days = silence_note(ctx, move, self.seed + index)
                # The script's line says how long the silence was; the calendar follows it.
                self.state.days += days - move.days_passed
                move.days_passed = days
                turn = Turn(index=index, speaker="buyer", text="", note=note)
            else:
                history = [t for t in self.turns if t.index < index]
                shown = ""
                try:
                    async for piece in self.buyer.reply(ctx, self.state, move, history, self.seed + index):
                        shown += piece
                        await queue.put(BuyerPiece(piece))
                except Interrupted as cut:
                    # What the rep saw is kept, marked as cut off; it is never replayed.
                    self._save(Turn(index=index, speaker="buyer", text=cut.partial, interrupted=True))
                    await queue.put(ReplyFailed(f"{cut.cause.message} The reply was cut off; "
                                                "you can ask for it again.", cut.partial))
                    return
                except ProviderError as err:
                    await queue.put(ReplyFailed(f"{err.message} Nothing was lost; "
                                                "you can ask for the reply again."))
                    return
                if not shown.strip():
                    await queue.put(ReplyFailed("The buyer's reply came back empty; "
                                                "you can ask for it again."))
                    return
                turn = Turn(index=index, speaker="buyer", text=shown.strip())
            self.pending = None
            if move.kind == "objection" and move.objection is not None:
                self.state.voiced[move.objection.id] = index  # hints quote what was actually said
            if move.kind == "reveal" and move.fact is not None:
                self.state.told[move.fact.id] = index  # the plan check quotes the buyer's own words
            self._save(turn)
            await queue.put(BuyerTurnSaved(turn, move, self.state))
        finally:
            await queue.put(None)

    def _save_usage(self) -> None:
        usage = getattr(self.llm, "usage", None)
        if usage is not None:
            self.store.add_usage(self.id, usage.prompt_tokens, usage.completion_tokens, usage.cost)

    def undo_last(self) -> str | None:
        """Take back the rep's last turn and the buyer's answer to it (redo).

        Returns the words taken back, to edit and send again; None if there is nothing to take back.
        """
        reps = [t for t in self.turns if t.speaker == "rep"]
        if not reps or not self.past:
            return None
        last = reps[-1]
        now = self.state, self.pending
        self.state, self.pending = self.past[-1], None
        try:
            self.store.drop_turns_from(self.id, last.index, self._persist())
        except BaseException:
            self.state, self.pending = now  # nothing was taken back
            raise
        self.past.pop()
        self.turns = [t for t in self.turns if t.index < last.index]
        return last.text

    def flags(self) -> list[scorecards.Flag]:
        """What a manager must hear about in this call so far (a discount past authority, ...)."""
        brief = self.setup.scenario.rep_brief
        return scorecards.flags_for(self.turns, max_discount_percent=brief.max_discount_percent,
                                    list_price=brief.list_price)

    def hint(self) -> str:
        """What a strong rep would do now, from the state (the rep's use of it is recorded).

        A hint never names what the buyer has not told yet: advice written with the hidden facts
        in mind is replaced by its plain form when it would give one away."""
        from .buyer import leaks

        hidden = [f for f in self.setup.persona.hidden_facts if f.id not in self.state.revealed]
        hint = self._hint()
        if leaks(hint, hidden):
            said = " ".join(t.text for t in self.turns)
            if not leaks(hint, [f for f in hidden if not leaks(said, [f])]):
                return hint  # every name in it has come up in the call already
            if self.state.open_objection:
                return "They have a concern open: name it in your own words, then ask what is behind it."
            return "There is more to learn: ask an open question about what this costs them today."
        return hint

    def _hint(self) -> str:
        s, p, d = self.state, self.setup.persona, self.setup.difficulty
        if s.open_objection:
            o = next(o for o in p.objections if o.id == s.open_objection)
            said = next((t.text for t in self.turns
                         if t.index == s.voiced.get(o.id) and t.speaker == "buyer" and t.text), None)
            quote = f"They objected: \"{said}\". " if said else "They have a concern open. "
            return quote + o.resolved_by
        if s.trust >= d.trust_to_agree:
            return f"They are ready. Ask for it, with a day and time: {self.setup.scenario.objective.milestone}"
        for fact in p.hidden_facts:
            if fact.id not in s.revealed:
                return f"There is more to learn. {fact.earned_by}"
        return "Build on what they told you: tie it to the cost of doing nothing, then ask for a next step."

    # ---- ending
    async def end(self, *, status: str = "finished") -> scorecards.Scorecard:
        """Grade the whole call, score it, and close the session."""
        s = self.setup
        if self.state.outcome == "in-progress":
            self.state.outcome = "ended-by-rep"
            self.store.save_state(self.id, self._persist())
        end_criteria = [c for c in s.rubric.criteria if c.applies == "end-of-call"]
        call_grades: list[Grade] = []
        if any(t.speaker == "rep" for t in self.turns):
            call_grades = await self.judge.grade_call(
                s.rubric, end_criteria, self.turns, context=JudgeContext.from_state(self.state, s.persona))
            self.store.add_grades(self.id, CALL, call_grades)
        flags = self.flags()
        card = scorecards.build(s.rubric, self.turns, call_grades, outcome=self.state.outcome, flags=flags)
        if card.practise_next and self.recommend:
            card.practise_scenario = self.recommend(card.practise_next)
        self._save_usage()
        self.store.finish(self.id, outcome=self.state.outcome, score=card.score, passed=card.passed,
                          scorecard=card.to_json(), status=status)
        self.scorecard = card
        return card

