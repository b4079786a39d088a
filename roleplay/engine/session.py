"""One practice session: the rep speaks, the engine grades, the buyer answers, all of it saved.

A rep turn goes: signals and their grades (instant) -> the buyer state and
move (code) -> the turn committed -> the buyer's reply streams while the
judge grades the same turn, concurrently -> each result committed before it
is handed to the front end. The front end only draws the events.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from ..models import Criterion, Difficulty, Persona, Rubric, Scenario
from . import scorecard as scorecards
from .buyer import Buyer, BuyerContext, HumanBuyer, OfflineBuyer, silence_note
from .grading import analyse, applies, signal_grades
from .judge import Judge, JudgeContext, OfflineJudge
from .ports import CALL, Rep, SessionStore
from .records import Grade, Mark, Turn
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


@dataclass
class BuyerCue:
    """For a colleague playing the buyer: what the persona would do now, and a line to start from.

    A suggestion, never forced: the colleague types the buyer's line in their own words. What
    the state decided stands (a fact the persona would reveal now counts as revealed; a buyer
    who would walk away ends the call after the colleague's line)."""

    move: str  # the move's kind (see state.MoveKind)
    do: str  # what to do, in a sentence for the colleague
    line: str  # the scripted line for it, to say in their own words
    trust: int
    trust_to_agree: int
    patience: int
    ends_call: bool


Event = RepTurnSaved | BuyerPiece | BuyerTurnSaved | JudgeGrades | Notice | ReplyFailed | CallOver | BuyerCue

MODES = ("solo", "hot-seat", "tag-team")
"""How a session is practised: one rep; reps taking the same call in turn, each a call of their own;
reps sharing one call, turn by turn."""


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
    store: SessionStore
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
    # Flags per rep turn, from the signals the turn was graded with (None: work them out once, on resume).
    _flags: dict[int, list[scorecards.Flag]] | None = None
    notes: list[str] = field(default_factory=list)  # said to the rep before the next turn (e.g. on resume)
    turn_deadline: float | None = None  # seconds; the model's setting when None (offline: no deadline)
    max_reply_chars: int | None = None  # the model's setting when None
    mode: str = "solo"
    reps: list[Rep] = field(default_factory=list)  # everyone who types rep turns (solo: the rep)
    typing: Rep | None = None  # who types the next rep turn
    team_id: str | None = None

    def __post_init__(self) -> None:
        self.reps = self.reps or [self.rep]
        self.typing = self.typing or self.reps[0]

    @property
    def buyer_player(self) -> str | None:
        """The colleague playing the buyer, if one is (their lines are typed, not generated)."""
        return self.buyer.name if isinstance(self.buyer, HumanBuyer) else None

    # ---- who types
    def hand_over(self, name: str | None = None) -> Rep:
        """The next rep in the room types from now on (or the one named). Tag team hands over
        after every rep turn by itself; this is the key that does it early, or skips someone."""
        if name is None:
            at = next((i for i, r in enumerate(self.reps) if r.id == self.typing.id), -1)
            self.typing = self.reps[(at + 1) % len(self.reps)]
            return self.typing
        wanted = " ".join(name.split()).lower()
        found = next((r for r in self.reps if r.name.lower() == wanted), None)
        if found is None:
            found = next((r for r in self.reps if r.name.lower().startswith(wanted)), None) if wanted else None
        if found is None:
            raise LookupError(f"{name.strip() or 'nobody'} is not in this session "
                              f"(here: {', '.join(r.name for r in self.reps)})")
        self.typing = found
        return found

    # ---- an observer's marks
    def mark(self, kind: str, *, turn: int | None = None, note: str = "", criterion: str | None = None,
             observer: str = "") -> Mark:
        """Mark a rep turn good or missed, or leave a note on it (the last rep turn when `turn` is
        None). Kept with the turn; the debrief sets marks beside the grader's verdicts."""
        if kind not in ("good", "missed", "note"):
            raise ValueError(f"a mark is good, missed or note, not {kind!r}")
        if kind == "note" and not note.strip():
            raise ValueError("a note needs some words")
        reps = [t for t in self.turns if t.speaker == "rep"]
        target = reps[-1] if turn is None and reps else next((t for t in self.turns if t.index == turn), None)
        if target is None:
            raise LookupError("there is no rep turn to mark yet" if turn is None else f"there is no turn {turn}")
        if target.speaker != "rep":
            raise LookupError(f"turn {target.index} is the buyer's; marks are for the rep's turns")
        if criterion is not None and criterion not in {c.id for c in self.setup.rubric.criteria}:
            raise LookupError(f"no criterion '{criterion}' in the rubric "
                              f"(it has: {', '.join(c.id for c in self.setup.rubric.criteria)})")
        return self.store.add_mark(self.id, target.index, kind, note=note.strip(), criterion=criterion,
                                   observer=observer)

    def marks(self) -> list[Mark]:
        return self.store.marks(self.id)

    # ---- starting and resuming
    @classmethod
    def begin(cls, setup: Setup, store: SessionStore, rep: Rep, *, buyer: Buyer | None = None,
              judge: Judge | None = None, seed: int | None = None, plan: dict | None = None,
              llm: object | None = None, reps: list[Rep] | None = None, mode: str = "solo",
              team_id: str | None = None) -> Session:
        buyer = buyer or OfflineBuyer()
        judge = judge or OfflineJudge()
        seed = random.randrange(1_000_000) if seed is None else seed
        state, opener = start(setup.scenario, setup.persona, setup.difficulty)
        sid = store.start_session(
            rep=rep, scenario_id=setup.scenario.id, scenario_title=setup.scenario.title,
            rubric_id=setup.rubric.id, difficulty=setup.difficulty_name, buyer=buyer.label,
            judge=judge.label, seed=seed, state={"state": state.to_json()}, plan=plan,
            team_id=team_id, mode=mode)
        session = cls(setup, store, sid, rep, buyer, judge, seed, state, llm=llm, mode=mode,
                      reps=list(reps or [rep]), team_id=team_id)
        session._flags = {}  # a new call: flags are kept turn by turn as they happen
        if setup.scenario.opening.silent_days is not None:
            days = setup.scenario.opening.silent_days
            first = Turn(index=0, speaker="buyer", text="",
                         note=f"No reply for {days} days since your last email. Write your follow-up.")
        else:
            # The manager's opening line is how the buyer raises an at-opening
            # objection; its own line is only needed when there is no opening text.
            line = buyer.opening(setup.context, seed) or (opener.line if opener else "")
            first = Turn(index=0, speaker="buyer", text=line)  # the scenario's own words, not typed
        state.last_move = "objection" if opener is not None else None
        if opener is not None:
            state.voiced[opener.id] = 0
        session._save(first)
        return session

    @classmethod
    def resume(cls, store: SessionStore, session_id: str, setup: Setup, *, buyer: Buyer | None = None,
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
        playing = (row.buyer or "").rsplit(", then ", 1)[-1].split(" from rep turn ")[0]
        if playing.startswith("colleague: "):  # a colleague played the buyer: they go on doing so
            buyer = HumanBuyer(playing.removeprefix("colleague: ").split(" (played from")[0])
        team = store.team(row.team_id) if row.team_id else None
        names = [row.rep]
        if row.mode == "tag-team":  # everyone in the room, or at least everyone who typed
            names += (team.reps if team else []) + [t.author for t in turns if t.speaker == "rep" and t.author]
        reps = [store.rep(name) for name in {n.lower(): n for n in reversed(names)}.values()][::-1]
        session = cls(setup, store, row.id, store.rep(row.rep), buyer or OfflineBuyer(),
                      judge or OfflineJudge(), row.seed, state, turns,
                      past=past, llm=llm, mode=row.mode, reps=reps or [], team_id=row.team_id)
        last_author = next((t.author for t in reversed(turns) if t.speaker == "rep" and t.author), None)
        if last_author and session.mode == "tag-team":
            session.hand_over(last_author)
            session.hand_over()  # the one after whoever typed last
        last = session.turns[-1] if session.turns else None
        if saved.get("pending") and last is not None and (last.speaker == "rep" or last.interrupted):
            session.pending = _move_from(saved["pending"], setup.persona)
        usage = getattr(llm, "usage", None)
        if usage is not None:  # carry on counting from what the session already used
            usage.prompt_tokens, usage.completion_tokens, usage.cost = (
                row.prompt_tokens, row.completion_tokens, row.cost)
        # Went on with another buyer or judge (a model session resumed offline): the record
        # and its exports name both, not only the one the call began with.
        next_turn = sum(t.speaker == "rep" for t in turns) + 1

        def went_on(was: str, now: str) -> str:
            last = was.rsplit(", then ", 1)[-1].split(" from rep turn ")[0]
            return was if last == now else f"{was}, then {now} from rep turn {next_turn}"

        players = went_on(row.buyer, session.buyer.label), went_on(row.judge, session.judge.label)
        if players != (row.buyer, row.judge):
            store.set_players(row.id, *players)
        was = (row.buyer or "").removeprefix("model: ").split(",")[0].strip()
        if (row.buyer or "").startswith("model:") and not session.buyer.label.startswith("model:"):
            session.notes.append(
                f"This session was started with {was}; no model is configured now, so it goes on "
                f"offline (scripted buyer, signal grades only). To carry on with the model, resume "
                f"with --model {was} (or set ROLEPLAY_MODEL).")
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

    async def say(self, text: str, *, hint_used: bool = False, author: str | None = None) -> AsyncIterator[Event]:
        """The rep's turn, and everything that follows from it. `author`: who typed it (one of
        the reps in the room); whoever is typing (`typing`) when not given."""
        text = text.strip()
        if not text:
            return
        for note in self.take_notes():
            yield Notice(note)
        if self.over:
            yield Notice("The call is over. End it to see your scorecard.")
            return
        if self.pending is not None and self.buyer_player is not None:
            yield Notice(f"Waiting for {self.buyer_player}'s line as the buyer; your turn was not sent.")
            return
        if author is not None:
            self.hand_over(author)
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
        turn = Turn(index=index, speaker="rep", text=text, grades=grades, hint_used=hint_used,
                    author=self.typing.name)
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
        if self._flags is not None:
            self._flags[index] = scorecards.flags_from(index, signals)
        yield RepTurnSaved(turn)
        if self.mode == "tag-team":
            self.hand_over()  # turn by turn: the next rep in the room types the next turn

        deadline = self._begin_turn()
        if self.llm is not None and hasattr(self.llm, "user"):
            self.llm.user = turn.author  # who typed it, though a tag team has handed over already
        jobs = [self._judge_job(turn, after_objection)] + self._missing_judging(exclude=turn.index)
        # A colleague playing the buyer types the reply (buyer_says); the judge grades meanwhile.
        # A silence (the ghost not answering) is the state's, not theirs to type.
        typed = self.buyer_player is not None and move.kind != "silence"
        if typed:
            yield self.cue()
        async for event in self._reply_and(jobs, deadline, reply=not typed):
            yield event

    def cue(self) -> BuyerCue | None:
        """What the persona would do now, for the colleague playing the buyer (None: no reply owed)."""
        move = self.pending
        if move is None:
            return None
        s, name = self.setup, self.setup.persona.name.split()[0]
        index = self.turns[-1].index + 1
        line = OfflineBuyer().line(s.context, move, self.turns, self.seed + index, self.state)
        do = {
            "won": f"{name} would agree now: to {s.scenario.objective.milestone.rstrip('.')}.",
            "walked-away": f"{name} would walk away now: end the call in your words.",
            "objection": f"{name} would raise an objection now"
                         + (f" ({move.objection.id.replace('-', ' ')})." if move.objection else "."),
            "discount": f"A discount came too easily: {name} would take it as a sign the price was padded.",
            "pushy-close": f"That was a push for a close too soon: {name} would cool down.",
            "reveal": f"{name} would now tell them something hidden: "
                      f"\"{move.fact.fact}\"" if move.fact else f"{name} would reveal a fact now.",
            "objection-handled": f"The objection was answered well: {name} would soften.",
            "good": f"A good turn: {name} would warm up a little and say a bit more.",
            "weak": f"A weak turn: {name} would stay guarded, short answers.",
            "neutral": f"Nothing moved: {name} would answer briefly.",
            "repeat": f"They said that already: {name} would point it out.",
            "off-script": f"That was not about the call: {name} would steer back to business.",
            "complied": f"They agreed to just send something: {name} would end it politely.",
        }.get(move.kind, f"{name} would answer ({move.kind}).")
        return BuyerCue(move=move.kind, do=do, line=line, trust=self.state.trust,
                        trust_to_agree=s.difficulty.trust_to_agree, patience=self.state.patience,
                        ends_call=self.state.over)

    def buyer_says(self, text: str) -> list[Event]:
        """The colleague playing the buyer typed the reply to the rep's last turn: save it."""
        if self.buyer_player is None:
            raise RuntimeError("the buyer is not played by a colleague in this session")
        text = text.strip()
        move = self.pending
        if move is None:
            return [Notice("The rep has not said anything new to answer yet.")]
        if not text:
            return [Notice("Type the buyer's line first.")]
        index = self.turns[-1].index + 1
        turn = Turn(index=index, speaker="buyer", text=text[:self._cap()], author=self.buyer_player)
        self.pending = None
        if move.kind == "objection" and move.objection is not None:
            self.state.voiced[move.objection.id] = index
        if move.kind == "reveal" and move.fact is not None:
            self.state.told[move.fact.id] = index
        try:
            self._save(turn)
        except BaseException:
            self.pending = move
            raise
        events: list[Event] = [BuyerTurnSaved(turn, move, self.state)]
        if self.over:
            events.append(CallOver(self.state.outcome))
        return events

    def take_notes(self) -> list[str]:
        """What the rep must be told before going on (e.g. a model session resumed offline), once."""
        notes, self.notes = self.notes, []
        return notes

    # ---- the turn's deadline, the judge's jobs
    def _settings(self, name: str, default):  # noqa: ANN001, ANN202
        return getattr(getattr(self.llm, "settings", None), name, default)

    def _begin_turn(self) -> float | None:
        """This turn's deadline (a time.monotonic() instant), handed to the model client too."""
        seconds = self.turn_deadline if self.turn_deadline is not None else self._settings("turn_deadline", None)
        deadline = None if seconds is None else time.monotonic() + seconds
        if self.llm is not None and hasattr(self.llm, "deadline"):
            self.llm.deadline = deadline  # type: ignore[attr-defined]
        if self.llm is not None and hasattr(self.llm, "user"):
            self.llm.user = self.typing.name  # a team gateway counts each rep's use  # type: ignore[attr-defined]
        return deadline

    def _deadline_words(self) -> str:
        seconds = self.turn_deadline if self.turn_deadline is not None else self._settings("turn_deadline", 0)
        return f"this turn's {seconds:g} s"

    def _judge_job(self, turn: Turn, after_objection: bool) -> tuple[asyncio.Task, int, list[Criterion]]:
        """The judge grading `turn` (as a task, so it runs while the buyer replies)."""
        s = self.setup
        criteria = [c for c in s.rubric.criteria if applies(c, after_objection=after_objection)]
        history = [t for t in self.turns if t.index < turn.index]
        # The judge's summary of the call is the buyer as the rep's turn found them.
        reps = [t.index for t in self.turns if t.speaker == "rep"]
        back = len(reps) - reps.index(turn.index) if turn.index in reps else 1
        before = self.past[-back] if 0 < back <= len(self.past) else None
        context = JudgeContext.from_state(before, s.persona)
        task = asyncio.create_task(self.judge.grade_turn(s.rubric, criteria, history, turn, context=context))
        return task, turn.index, criteria

    def unjudged(self, exclude: int | None = None) -> list[Turn]:
        """Rep turns whose judging never finished (the process died, the rep paused): no judge grade
        at all, not even `ungraded`."""
        return [t for t in self.turns if t.speaker == "rep" and t.index != exclude
                and not any(g.source == "judge" for g in t.grades)]

    def _missing_judging(self, exclude: int | None = None) -> list[tuple[asyncio.Task, int, list[Criterion]]]:
        reps = [t.index for t in self.turns if t.speaker == "rep"]
        jobs = []
        for turn in self.unjudged(exclude):
            back = len(reps) - reps.index(turn.index)
            before = self.past[-back] if back <= len(self.past) else None
            jobs.append(self._judge_job(turn, bool(before and before.objection_on_table)))
        return jobs

    async def rejudge(self, *, deadline: float | None = None) -> AsyncIterator[Event]:
        """Judge the turns whose judging did not finish (call on resume); each gets the judge's
        grades, or `ungraded` with the reason. The turn awaiting its reply is judged with it.
        `deadline`: one already running (the end of the call shares its own)."""
        exclude = next((t.index for t in reversed(self.turns) if t.speaker == "rep"), None) \
            if self.pending is not None else None
        if not self.unjudged(exclude):
            return
        if deadline is None:
            deadline = self._begin_turn()
        elif self.llm is not None and hasattr(self.llm, "deadline"):
            self.llm.deadline = deadline  # type: ignore[attr-defined]
        jobs = self._missing_judging(exclude)
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        workers = [asyncio.create_task(self._collect_judge(job, deadline, queue)) for job in jobs]
        try:
            for _ in workers:
                while (event := await queue.get()) is not None:
                    yield event
        finally:
            for w in workers + [job[0] for job in jobs]:
                if not w.done():
                    w.cancel()
            self._end_turn()

    def _end_turn(self) -> None:
        if self.llm is not None and hasattr(self.llm, "deadline"):
            self.llm.deadline = None  # type: ignore[attr-defined]

    async def retry_reply(self) -> AsyncIterator[Event]:
        """Ask for the buyer's reply again, after a failed or cut-off one."""
        if self.pending is None:
            return
        if self.buyer_player is not None:  # nothing to ask for: the colleague types it
            cue = self.cue()
            if cue is not None:
                yield cue
            return
        for note in self.take_notes():
            yield Notice(note)
        deadline = self._begin_turn()
        # The judge of a turn that died with the process (a crash before the reply): judge it now.
        async for event in self._reply_and(self._missing_judging(), deadline):
            yield event

    async def _reply_and(self, jobs: list[tuple[asyncio.Task, int, list[Criterion]]],
                         deadline: float | None, *, reply: bool = True) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        # Provider retries show up as calm notices among the turn's events (and go back to
        # wherever they went before once the turn is over).
        outside = getattr(self.llm, "notice", None)
        if self.llm is not None:
            self.llm.notice = lambda message: queue.put_nowait(Notice(message))  # type: ignore[attr-defined]
        workers = [asyncio.create_task(self._reply(queue, deadline))] if reply else []
        workers += [asyncio.create_task(self._collect_judge(job, deadline, queue)) for job in jobs]
        finished = 0
        try:
            while finished < len(workers):
                event = await queue.get()
                if event is None:
                    finished += 1
                    continue
                yield event
        finally:
            for w in workers + [job[0] for job in jobs]:
                if not w.done():
                    w.cancel()
            if self.llm is not None:
                self.llm.notice = outside  # type: ignore[attr-defined]
            self._end_turn()
        for w in workers:
            if not w.cancelled() and w.exception() is not None:
                raise w.exception()  # type: ignore[misc]
        self._save_usage()
        if self.over and self.pending is None:
            yield CallOver(self.state.outcome)

    @staticmethod
    def _left(deadline: float | None, grace: float = 0.0) -> float | None:
        return None if deadline is None else max(0.0, deadline + grace - time.monotonic())

    async def _collect_judge(self, job: tuple[asyncio.Task, int, list[Criterion]], deadline: float | None,
                             queue: asyncio.Queue[Event | None]) -> None:
        judging, rep_index, criteria = job
        try:
            try:
                # A little grace: the model client stops at the deadline itself, with its own words.
                grades = await asyncio.wait_for(judging, self._left(deadline, 0.25))
            except (asyncio.TimeoutError, TimeoutError):
                grades = [Grade(criterion=c.id, verdict="ungraded", score=None, source="judge",
                                reason=f"the judge did not answer within {self._deadline_words()}")
                          for c in criteria]
            self.store.add_grades(self.id, rep_index, grades)
            for t in self.turns:
                if t.index == rep_index:
                    t.grades = t.grades + grades
            await queue.put(JudgeGrades(rep_index, grades))
        finally:
            await queue.put(None)

    def _cap(self) -> int:
        cap = self.max_reply_chars if self.max_reply_chars is not None else self._settings("max_reply_chars", None)
        return cap or 4000

    async def _slow(self, queue: asyncio.Queue[Event | None], started: asyncio.Event) -> None:
        """Says the model is slow, well before the first-token timeout runs out."""
        first = self._settings("first_token_timeout", None)
        if first is None:
            return
        turn = self.turn_deadline if self.turn_deadline is not None else self._settings("turn_deadline", first)
        await asyncio.sleep(min(5.0, first / 2))
        if not started.is_set():
            await queue.put(Notice(f"The model is slow to answer; still waiting (up to {min(first, turn):g} s "
                                   "for its first word). You can keep typing your next turn."))

    async def _reply(self, queue: asyncio.Queue[Event | None], deadline: float | None = None) -> None:
        from ..llm.client import Interrupted, ProviderError

        started = asyncio.Event()
        watch = asyncio.create_task(self._slow(queue, started)) if self.llm is not None else None
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
                shown, cap, capped = "", self._cap(), False
                pieces = self.buyer.reply(ctx, self.state, move, history, self.seed + index)
                try:
                    async with asyncio.timeout(self._left(deadline, 0.25)):
                        async for piece in pieces:
                            started.set()
                            if len(shown) + len(piece) > cap:
                                piece = piece[:cap - len(shown)]
                                capped = True
                            if piece:
                                shown += piece
                                await queue.put(BuyerPiece(piece))
                            if capped:
                                break
                except Interrupted as cut:
                    # What the rep saw is kept, marked as cut off; it is never replayed.
                    self._save(Turn(index=index, speaker="buyer", text=cut.partial[:cap], interrupted=True))
                    await queue.put(ReplyFailed(f"{cut.cause.message} The reply was cut off; "
                                                "you can ask for it again.", cut.partial[:cap]))
                    return
                except ProviderError as err:
                    await queue.put(ReplyFailed(f"{err.message} Nothing was lost; "
                                                "you can ask for the reply again."))
                    return
                except (asyncio.TimeoutError, TimeoutError):
                    words = f"The buyer's reply did not come within {self._deadline_words()}."
                    if shown:
                        self._save(Turn(index=index, speaker="buyer", text=shown, interrupted=True))
                        await queue.put(ReplyFailed(words + " What came is kept, marked as cut off; "
                                                    "you can ask for the reply again.", shown))
                    else:
                        await queue.put(ReplyFailed(words + " Nothing was lost; you can ask for "
                                                    "the reply again."))
                    return
                finally:
                    await pieces.aclose()
                if capped:
                    await queue.put(Notice(f"The buyer's reply ran past {cap:,} characters; the rest "
                                           "was dropped (only what is shown is kept)."))
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
            try:
                self._save(turn)
            except BaseException:
                self.pending = move  # not saved (a full disk): the reply is still owed, ask again
                raise
            await queue.put(BuyerTurnSaved(turn, move, self.state))
        finally:
            if watch is not None:
                watch.cancel()
            await queue.put(None)

    def _save_usage(self) -> None:
        usage = getattr(self.llm, "usage", None)
        if usage is not None:
            # None is "unknown" (see llm.client.Usage): never an estimate stored as a real count.
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
        if last.author and any(r.name == last.author for r in self.reps):
            self.hand_over(last.author)  # the turn goes back to whoever typed it, to edit and send
        if self._flags is not None:
            self._flags = {i: f for i, f in self._flags.items() if i < last.index}
        return last.text

    def flags(self) -> list[scorecards.Flag]:
        """What a manager must hear about in this call so far (a discount past authority, ...)."""
        if self._flags is None:
            brief = self.setup.scenario.rep_brief
            self._flags = {}
            for f in scorecards.flags_for(self.turns, max_discount_percent=brief.max_discount_percent,
                                          list_price=brief.list_price):
                self._flags.setdefault(f.turn, []).append(f)
        return [f for i in sorted(self._flags) for f in self._flags[i]]

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
        # A turn whose judging never finished is judged now (or recorded ungraded, with why),
        # within the same deadline as the whole call's grading.
        deadline = self._begin_turn() if any(t.speaker == "rep" for t in self.turns) else None
        async for _ in self.rejudge(deadline=deadline):
            pass
        if self.pending is not None:  # its reply never came: its judge will not run with it either
            for turn in self.unjudged():
                grades = [Grade(criterion=c.id, verdict="ungraded", score=None, source="judge",
                                reason="not judged: the call ended before the buyer's reply came")
                          for c in s.rubric.criteria if applies(c, after_objection=False)]
                self.store.add_grades(self.id, turn.index, grades)
                turn.grades = turn.grades + grades
        end_criteria = [c for c in s.rubric.criteria if c.applies == "end-of-call"]
        call_grades: list[Grade] = []
        if any(t.speaker == "rep" for t in self.turns):
            if self.llm is not None and hasattr(self.llm, "deadline"):
                self.llm.deadline = deadline  # type: ignore[attr-defined]
            try:
                call_grades = await asyncio.wait_for(self.judge.grade_call(
                    s.rubric, end_criteria, self.turns, context=JudgeContext.from_state(self.state, s.persona)),
                    self._left(deadline, 0.25))
            except (asyncio.TimeoutError, TimeoutError):
                call_grades = [Grade(criterion=c.id, verdict="ungraded", score=None, source="judge",
                                     reason=f"the judge did not answer within {self._deadline_words()}")
                               for c in end_criteria]
            finally:
                self._end_turn()
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

