/*
 * The admission protocol of the breaker core (Sources/CircuitBreaker/CircuitBreaker+StateMachine.swift,
 * CircuitBreaker+Recording.swift, BreakerEventOutbox.swift), for spin. MAPPING.md maps each step to its Swift lines;
 * review it, and rerun `make spin`, whenever those files change.
 *
 * Checked for every interleaving of THREADS callers making OPS calls or reads between them, with a clock that
 * moves nondeterministically, over two periods of trip, open wait and half-open probes (MAXGEN):
 *   1. at most N trials of a half-open period are unsettled at once (assert in admit);
 *   2. no outcome of a call admitted in an older generation changes the state (assert in transition);
 *   2b. a half-open period ends for lack of time only when each of its unsettled trials has had MAXDUR since its
 *      own admission, however long the breaker was idle before (assert in makeDue);
 *   3. every transition is delivered to the monitor exactly once and in generation order (asserts in deliver
 *      and in the final check);
 *   4. no deadlock: spin's invalid end states (every process ends; the final check runs).
 * -DREACH_TWO_PERIODS asserts that no run reaches a second half-open period: spin must refute it, which shows that
 * the bounds leave room for two. -DREPORT_AFTER_UNLOCK is the protocol before the outbox (each thread reported its
 * own transitions after releasing the lock): spin finds the out-of-order delivery (property 3), the interleaving
 * that Tests/CircuitBreakerTests/EventOrderTests.swift now plays on the real breaker. -DMUTANT_EXTRA_TRIAL,
 * -DMUTANT_NO_GENERATION_GUARD, -DMUTANT_NO_TRIP_GUARD and -DMUTANT_BACKDATED_DEADLINE break one rule each; spin
 * must find each.
 */

#ifndef THREADS
#define THREADS 3
#endif
#ifndef OPS
#define OPS 4          /* calls and reads, shared among the threads */
#endif
#define N 1            /* HalfOpenPolicy.trialCalls */
#define REQUIRED 1     /* HalfOpenPolicy.requiredSuccesses */
#define THRESHOLD 1    /* TripPolicy.consecutiveFailures */
#define WAIT 1         /* the open wait, in clock ticks */
#define MAXDUR 1       /* HalfOpenPolicy.maximumDuration, in clock ticks */
#define MAXTIME 3      /* the clock stops here */
#define MAXGEN 6       /* no transition past this generation: bounds the periods */

#define CLOSED 0
#define OPEN 1
#define HALF 2

/* The control word: state and generation, read and written as one atomic word. */
byte cstate = CLOSED;
byte cgen = 1;
/* Atomics read without the lock. */
byte openUntil = 0;
byte now = 0;
/* The consecutive-failure counter: generation tag and count in one atomic word. */
byte streakGen = 1;
byte streak = 0;

/* MachineState, under the lock. */
bit lk = 0;
byte trials = 0;
byte successes = 0;
byte lastTrial = 0;
/* BreakerEventOutbox, under the lock. */
chan pending = [MAXGEN] of { byte };
bit delivering = 0;

/* Ghosts for the properties. */
byte holding[MAXGEN + 1];   /* trials of generation g admitted and not settled yet */
byte budget = OPS;          /* operations left, for all threads */
byte trialGen[THREADS + 1]; /* by process: the generation of the trial it runs, 0 for none */
byte trialAt[THREADS + 1];  /* by process: when that trial was admitted */
byte halfPeriods = 0;       /* half-open periods entered (REACH_TWO_PERIODS shows the bound lets two happen) */
byte lastDelivered = 1;     /* the monitor's view: the generation of the last transition it heard */

/* The lock. A section under it is one atomic step of the model (see MAPPING.md): what it changes is either under
   the lock too, or published with a release store that a reader sees with everything stored before it. */
inline lock()   { lk == 0 -> lk = 1 }
inline unlock() { lk = 0 }

/* performTransition: publish the next word and queue the transition, under the lock. `cause` is the generation of
   the call whose outcome causes it (0 for time or reads): property 2. */
inline transition(to, dated, cause) {
    assert(cause == 0 || cause == cgen);
    if
    :: to == OPEN -> openUntil = dated + WAIT
    :: to == HALF -> trials = 0; successes = 0; lastTrial = dated; halfPeriods++
    :: to == CLOSED -> streakGen = cgen + 1; streak = 0
    fi;
    atomic { cstate = to; cgen++ };
#ifdef REPORT_AFTER_UNLOCK
    mine!cgen
#else
    pending!cgen
#endif
}

/* makeDueTransitions(now: t), under the lock. */
inline makeDue(t) {
    do
    :: cstate == OPEN && t >= openUntil && cgen < MAXGEN -> transition(HALF, openUntil, 0)
    :: cstate == HALF && trials >= N && t >= lastTrial + MAXDUR && cgen < MAXGEN ->
        p = 1;
        do
        :: p <= THREADS -> assert(trialGen[p] != cgen || lastTrial + MAXDUR >= trialAt[p] + MAXDUR); p++
        :: p > THREADS -> break
        od;
        p = 0;
        transition(OPEN, lastTrial + MAXDUR, 0)
    :: else -> break
    od
}

/* The monitor hears one transition. */
inline hear(g) {
    atomic { assert(g == lastDelivered + 1); lastDelivered = g; g = 0 }
}

/* transact's tail, in two parts. Under the lock: claim the outbox if no one delivers and it holds events (the
   caller becomes the deliverer: `claimed`), then release. */
inline claimAndUnlock() {
#ifdef REPORT_AFTER_UNLOCK
    unlock()
#else
    if
    :: !delivering && nempty(pending) ->
        delivering = 1;
        claimed = 1;
        do
        :: nempty(pending) -> pending?g; batch!g
        :: empty(pending) -> break
        od;
        g = 0
    :: delivering || empty(pending) -> skip
    fi;
    unlock()
#endif
}

/* Then, without the lock: the deliverer hears its batch, event by event, and takes the next one under the lock,
   until the outbox is empty. (Before the outbox, each thread heard its own transitions here.) */
inline deliverClaimed() {
#ifdef REPORT_AFTER_UNLOCK
    do
    :: nempty(mine) -> mine?g; hear(g)
    :: empty(mine) -> break
    od
#else
    do
    :: claimed ->
        do
        :: nempty(batch) -> batch?g; hear(g)
        :: empty(batch) -> break
        od;
        atomic {
            lock();
            if
            :: empty(pending) -> delivering = 0; claimed = 0
            :: nempty(pending) ->
                do
                :: nempty(pending) -> pending?g; batch!g
                :: empty(pending) -> break
                od;
                g = 0
            fi;
            unlock()
        }
    :: !claimed -> break
    od
#endif
}

/* A reading of the clock, which may have moved on since the last one (time matters only when it is read). */
inline readClock(t) {
    atomic {
        if
        :: now < MAXTIME -> now++
        :: true -> skip
        fi;
        t = now
    }
}

proctype Caller() {
    byte ws, wg, t, g, count, p;
    bit admitted, trial, claimed;
    chan batch = [MAXGEN] of { byte };
#ifdef REPORT_AFTER_UNLOCK
    chan mine = [MAXGEN] of { byte };
#endif
    do
    :: atomic { budget > 0 -> budget-- };
        if
        :: true ->
            /* A call: admission() (CircuitBreaker+Recording.swift), then admitSlow. */
            admitted = 0; trial = 0;
            atomic { ws = cstate; wg = cgen };
            if
            :: ws == CLOSED -> admitted = 1
            :: ws != CLOSED ->
                readClock(t);
                if
                :: ws == OPEN && t < openUntil -> skip                  /* rejected, no lock */
                :: else ->
                    atomic {
                    lock();
                    makeDue(t);
                    if
                    :: cstate == CLOSED -> admitted = 1; wg = cgen; ws = CLOSED
#ifdef MUTANT_EXTRA_TRIAL
                    :: cstate == HALF && trials <= N ->
#else
                    :: cstate == HALF && trials < N ->
#endif
#ifdef MUTANT_BACKDATED_DEADLINE
                        trials++;
#else
                        trials++; lastTrial = (t > lastTrial -> t : lastTrial);
#endif
                        trialGen[_pid] = cgen; trialAt[_pid] = t;
                        admitted = 1; trial = 1; wg = cgen; ws = HALF;
                        holding[cgen]++;
                        assert(holding[cgen] <= N)
                    :: else -> skip                                      /* rejected */
                    fi;
                    claimAndUnlock()
                    };
                    deliverClaimed()
                fi
            fi;
            /* The outcome, later: any interleaving may come between. */
            if
            :: admitted && trial ->
                /* settleTrial: success, failure or ignored. */
                readClock(t);
                atomic {
                lock();
                makeDue(t);
#ifdef MUTANT_NO_GENERATION_GUARD
                if
                :: cstate == HALF ->
#else
                if
                :: cstate == HALF && cgen == wg ->
#endif
                    if
                    :: successes + 1 >= REQUIRED && cgen < MAXGEN -> successes++; transition(CLOSED, t, wg)
                    :: cgen < MAXGEN -> transition(OPEN, t, wg)                  /* failure */
                    :: trials--                                                   /* ignored: frees the slot */
                    fi
                :: else -> skip                                                   /* a late result */
                fi;
                holding[wg]--; trialGen[_pid] = 0; trialAt[_pid] = 0;
                claimAndUnlock()
                };
                deliverClaimed()
            :: admitted && !trial ->
                /* store(): a success ends the streak, a failure adds to it, both only in their generation. */
                if
                :: atomic { streakGen == wg -> streak = 0 }
                :: atomic { streakGen != wg -> skip }
                :: atomic { streakGen == wg -> streak++; count = streak }
                   if
                   :: count >= THRESHOLD ->
                       /* trip(): closed → open, if still in the call's period. */
                       readClock(t);
                       atomic {
                       lock();
                       if
#ifdef MUTANT_NO_TRIP_GUARD
                       :: cstate == CLOSED && cgen < MAXGEN -> transition(OPEN, t, wg)
#else
                       :: cstate == CLOSED && cgen == wg && cgen < MAXGEN -> transition(OPEN, t, wg)
#endif
                       :: else -> skip
                       fi;
                       claimAndUnlock()
                       };
                       deliverClaimed()
                   :: else -> skip
                   fi
                :: atomic { streakGen != wg -> skip }                          /* a late failure */
                fi
            :: !admitted -> skip
            fi
        :: true ->
            /* A read of the state: settledWord(). */
            atomic { ws = cstate; wg = cgen };
            readClock(t);
            if
            :: ws == CLOSED -> skip
            :: ws == OPEN && t < openUntil -> skip
            :: else -> atomic { lock(); makeDue(t); claimAndUnlock() }; deliverClaimed()
            fi
        fi;
        /* Forget this operation's locals, so that states that differ only in them are one state. */
        atomic { ws = 0; wg = 0; t = 0; count = 0; admitted = 0; trial = 0 }
    :: atomic { budget == 0 -> break }
    od
}

init {
    byte i;
    atomic {
        i = 0;
        do
        :: i < THREADS -> run Caller(); i++
        :: i == THREADS -> break
        od
    };
    (_nr_pr == 1);
    /* Every transition was heard, once: the monitor's last generation is the breaker's. */
    assert(lastDelivered == cgen);
    assert(empty(pending) && !delivering && lk == 0);
#ifdef REACH_TWO_PERIODS
    /* Fails when two half-open periods are reachable, as they must be for the check to mean anything. */
    assert(halfPeriods < 2)
#endif
}
