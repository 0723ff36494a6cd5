using System.Runtime.ExceptionServices;

namespace GenDsl.Threading;

/// <summary>
/// A small, allocation-free fork/join pool: <c>Threads − 1</c> persistent background threads plus the
/// calling thread run <c>body(state, i)</c> for every <c>i</c> in <c>[0, count)</c>.
/// </summary>
/// <remarks>
/// <para>How a run works. The caller writes the body, state and count into fields, resets the work
/// counter and publishes a new <em>generation</em> number. Idle workers spin on the generation for a
/// short while (so back-to-back runs start within a microsecond), then block on a monitor so an idle
/// pool burns no CPU. Every participant — the caller included — claims indices with
/// <see cref="Interlocked.Increment(ref int)"/> on a shared counter until none are left.</para>
/// <para>A worker that wakes up late must not join a run that is already finishing (or worse, a later
/// run with different fields). So joining is a compare-and-swap on one 64-bit word holding the
/// generation, a "closed" bit and the number of workers inside the run. When the caller has no more
/// indices to claim it sets the closed bit and waits only for the workers that did join; a sleeping
/// worker never delays the caller.</para>
/// <para>Runs on one pool are serialised (a second thread calling <see cref="Run"/> waits for the first).
/// A body that calls <see cref="Run"/> on the pool that is executing it runs the nested loop inline on
/// its own thread. Nothing is allocated per run (an exception, when one happens, is the exception).</para>
/// </remarks>
public sealed unsafe class WorkerPool : IDisposable
{
    // ---- run word layout: [ generation : 32 | closed : 1 | inside : 31 ] ----
    private const long InsideOne = 1;
    private const long ClosedBit = 1L << 31;
    private const long InsideMask = ClosedBit - 1;
    private const long GenerationOne = 1L << 32;

    /// <summary>How long an idle worker spins (watching for the next run) before it blocks: long enough to
    /// bridge the gap between consecutive kernel calls of a training step, short enough not to waste a core.</summary>
    private static readonly long s_idleSpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs

    /// <summary>How long the caller of a run spins waiting for the workers still inside it before it blocks.</summary>
    private static readonly long s_joinSpinTicks = System.Diagnostics.Stopwatch.Frequency / 10000; // 100 µs

    private static WorkerPool? s_default;

    [ThreadStatic] private static WorkerPool? t_pool;   // pool whose body this thread is executing (or whose worker it is)
    [ThreadStatic] private static int t_slot;           // this thread's slot in that pool: caller 0, workers 1..Threads-1

    private readonly int _threads;
    private readonly Thread[] _workers;
    private readonly object _runLock = new();
    private readonly object _sleepLock = new();
    private readonly object _doneLock = new();      // the caller blocks here waiting for the last workers of a run
    private int _callerWaiting;                      // 1 while the caller is (about to be) blocked on _doneLock

    // The current run (written by the caller before the generation is published; read-only while workers are inside).
    private delegate*<void*, int, void> _body;
    private void* _state;
    private int _count;
    private int _next;               // next index to claim
    private long _runWord;           // generation | closed | inside
    private int _sleepers;           // workers blocked in Monitor.Wait
    private volatile bool _disposed;
    private volatile bool _faulted;
    private ExceptionDispatchInfo? _exception;

    /// <summary>Per-slot scratch memory (<see cref="Threads"/> pointers, native) that kernels (the GEMM) attach
    /// to the pool; each pointer must come from <see cref="System.Runtime.InteropServices.NativeMemory.AlignedAlloc"/>.
    /// Freed on <see cref="Dispose"/>. Only touch it while holding <see cref="ScratchLease"/>.</summary>
    internal readonly nint* Scratch;
    /// <summary>A larger, growable buffer (native, 64-byte aligned) shared by all slots of one kernel call; see <see cref="Scratch"/>.</summary>
    internal nint SharedA;
    /// <summary>Size in bytes of <see cref="SharedA"/>.</summary>
    internal long SharedABytes;
    /// <summary>0 when <see cref="Scratch"/> is free, 1 while one kernel call has leased it.</summary>
    internal int ScratchLease;

    /// <summary>Creates a pool that runs work on <paramref name="threads"/> threads: the caller plus
    /// <c>threads − 1</c> persistent background threads.</summary>
    /// <param name="threads">Total number of threads, at least 1 (1 = everything runs on the caller).</param>
    public WorkerPool(int threads)
    {
        if (threads < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), threads,
                "A worker pool needs at least 1 thread (the caller); pass 1 for single-threaded execution.");
        _threads = threads;
        Scratch = (nint*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)threads, (nuint)sizeof(nint));
        _workers = new Thread[threads - 1];
        for (int w = 0; w < _workers.Length; w++)
        {
            var t = new Thread(WorkerMain, maxStackSize: 256 * 1024)
            {
                IsBackground = true,
                Name = $"GenDsl worker {w + 1}/{threads - 1}",
            };
            _workers[w] = t;
            t.Start(w + 1);
        }
    }

    /// <summary>The pool used when a kernel is given no pool. Created lazily with
    /// <see cref="Environment.ProcessorCount"/> threads; may be replaced (the old pool is not disposed).</summary>
    public static WorkerPool Default
    {
        get
        {
            var p = Volatile.Read(ref s_default);
            if (p is not null)
                return p;
            var created = new WorkerPool(Environment.ProcessorCount);
            p = Interlocked.CompareExchange(ref s_default, created, null);
            if (p is null)
                return created;
            created.Dispose();
            return p;
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Volatile.Write(ref s_default, value);
        }
    }

    /// <summary>Total number of threads that execute a run (the caller included).</summary>
    public int Threads => _threads;

    /// <summary>The slot (0 = the calling thread, 1..Threads−1 = workers) of the thread executing the current
    /// body. Two bodies running at the same time on one pool always have different slots, so a kernel may
    /// index per-slot scratch with it.</summary>
    internal static int CurrentSlot => t_slot;

    /// <summary>
    /// Runs <paramref name="body"/>(<paramref name="state"/>, i) for every i in [0, <paramref name="count"/>),
    /// spread over the pool's threads (the caller works too), and returns when all are done.
    /// Allocates nothing. Indices are claimed dynamically, so no order is guaranteed.
    /// If a body throws, no further indices are started, the run still waits for the ones in flight, and
    /// the first exception is rethrown here (with its original stack trace).
    /// </summary>
    public void Run(delegate*<void*, int, void> body, void* state, int count)
    {
        if (body == null)
            throw new ArgumentNullException(nameof(body));
        if (count <= 0)
            return;
        ObjectDisposedException.ThrowIf(_disposed, this);

        if (count == 1 || _threads == 1 || t_pool == this)
        {
            RunInline(body, state, count);
            return;
        }

        Monitor.Enter(_runLock);
        WorkerPool? outerPool = t_pool;
        int outerSlot = t_slot;
        try
        {
            t_pool = this;
            t_slot = 0;
            _body = body;
            _state = state;
            _count = count;
            _next = 0;
            _faulted = false;
            _exception = null;

            // Publish: new generation, open, nobody inside. The full fence orders the field writes above
            // before it and the read of _sleepers after it (pairs with the fence in WaitForWork).
            long word = Volatile.Read(ref _runWord);
            Interlocked.Exchange(ref _runWord, (word & ~(ClosedBit | InsideMask)) + GenerationOne);
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (_sleepLock)
                    Monitor.PulseAll(_sleepLock);
            }

            Work();

            // No more indices to claim: close the run so late risers stay out, then wait for those inside.
            long closed = Interlocked.Or(ref _runWord, ClosedBit) | ClosedBit;
            if ((closed & InsideMask) != 0)
                WaitForJoinedWorkers();

            _body = null;
            _state = null;
            var ex = _exception;
            _exception = null;
            ex?.Throw();
        }
        finally
        {
            t_pool = outerPool;
            t_slot = outerSlot;
            Monitor.Exit(_runLock);
        }
    }

    /// <summary>
    /// Waits until every worker that joined the closed run has left it. Spins briefly (the usual case: a worker
    /// finishing its last index), then blocks. Blocking matters when another process's thread competes for a
    /// core: a worker preempted in the middle of its index can then be moved by the OS to the core this caller
    /// leaves idle, instead of waiting for the competing thread's time slice to end while the caller spins.
    /// </summary>
    private void WaitForJoinedWorkers()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            for (int s = 0; s < 64; s++)
            {
                if ((Volatile.Read(ref _runWord) & InsideMask) == 0)
                    return;
                Thread.SpinWait(1);
            }
            if (System.Diagnostics.Stopwatch.GetTimestamp() - start > s_joinSpinTicks)
                break;
        }
        lock (_doneLock)
        {
            // Full fence between announcing the wait and re-reading the count; pairs with the worker's
            // Interlocked decrement followed by its read of _callerWaiting (see WorkerMain).
            Interlocked.Exchange(ref _callerWaiting, 1);
            while ((Volatile.Read(ref _runWord) & InsideMask) != 0)
                Monitor.Wait(_doneLock);
            Volatile.Write(ref _callerWaiting, 0);
        }
    }

    private static void RunInline(delegate*<void*, int, void> body, void* state, int count)
    {
        for (int i = 0; i < count; i++)
            body(state, i);
    }

    /// <summary>Claims and runs indices until none are left (or a body failed).</summary>
    private void Work()
    {
        var body = _body;
        var state = _state;
        int count = _count;
        while (!_faulted)
        {
            int i = Interlocked.Increment(ref _next) - 1;
            if (i >= count)
                break;
            try
            {
                body(state, i);
            }
            catch (Exception e)
            {
                _faulted = true;
                Interlocked.CompareExchange(ref _exception, ExceptionDispatchInfo.Capture(e), null);
            }
        }
    }

    private void WorkerMain(object? slotObject)
    {
        t_pool = this;
        t_slot = (int)slotObject!;
        long seenGeneration = Volatile.Read(ref _runWord) >> 32;
        while (true)
        {
            long word = WaitForWork(seenGeneration);
            if (_disposed)
                return;
            seenGeneration = word >> 32;

            // Join: only while the run is open and still the generation we saw.
            bool joined = false;
            while ((word >> 32) == seenGeneration && (word & ClosedBit) == 0)
            {
                long prev = Interlocked.CompareExchange(ref _runWord, word + InsideOne, word);
                if (prev == word) { joined = true; break; }
                word = prev;
            }
            if (!joined)
                continue;
            Work();
            long left = Interlocked.Add(ref _runWord, -InsideOne);
            if ((left & InsideMask) == 0 && (left & ClosedBit) != 0 && Volatile.Read(ref _callerWaiting) != 0)
            {
                lock (_doneLock)
                    Monitor.PulseAll(_doneLock);
            }
        }
    }

    /// <summary>Spins, then blocks, until the generation differs from <paramref name="seenGeneration"/> (or disposal).</summary>
    private long WaitForWork(long seenGeneration)
    {
        long word;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            for (int s = 0; s < 64; s++)
            {
                word = Volatile.Read(ref _runWord);
                if ((word >> 32) != seenGeneration || _disposed)
                    return word;
                Thread.SpinWait(1);
            }
            if (System.Diagnostics.Stopwatch.GetTimestamp() - start > s_idleSpinTicks)
                break;
        }
        lock (_sleepLock)
        {
            Interlocked.Increment(ref _sleepers);   // full fence before re-reading the generation
            while (true)
            {
                word = Volatile.Read(ref _runWord);
                if ((word >> 32) != seenGeneration || _disposed)
                    break;
                Monitor.Wait(_sleepLock);
            }
            Interlocked.Decrement(ref _sleepers);
        }
        return word;
    }

    /// <summary>Stops the background threads (after any run in progress) and frees attached scratch memory.</summary>
    public void Dispose()
    {
        lock (_runLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            lock (_sleepLock)
                Monitor.PulseAll(_sleepLock);
        }
        foreach (var t in _workers)
        {
            if (t != Thread.CurrentThread)
                t.Join();
        }
        // Free scratch only when no kernel holds it.
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref ScratchLease, 1, 0) != 0)
            spin.SpinOnce();
        for (int i = 0; i < _threads; i++)
        {
            if (Scratch[i] != 0)
            {
                System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)Scratch[i]);
                Scratch[i] = 0;
            }
        }
        if (SharedA != 0)
            System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)SharedA);
        SharedA = 0;
        SharedABytes = 0;
        // The lease is never released again, so nobody reads the slot table after this.
        System.Runtime.InteropServices.NativeMemory.Free(Scratch);
    }
}
