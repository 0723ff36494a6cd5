using GenDsl.Threading;

namespace GenDsl.Runtime.Tests;

public unsafe class WorkerPoolTests
{
    private static void CountBody(void* state, int i) => Interlocked.Increment(ref ((int*)state)[i]);

    private static void RecordSlotBody(void* state, int i)
    {
        ((int*)state)[i] = WorkerPool.CurrentSlot;
        Thread.SpinWait(2000);   // keep the slot busy so other threads get indices too
    }

    private static void ThrowOnFiveBody(void* state, int i)
    {
        Interlocked.Increment(ref *(int*)state);
        if (i == 5)
            throw new InvalidOperationException("body failed at index 5");
    }

    private static void NoOpBody(void* state, int i)
    {
    }

    /// <summary>state: [0] = ticks a worker (not the caller) busy-waits before finishing, [1 + i] = index i finished.</summary>
    private static void SlowOnWorkersBody(void* state, int i)
    {
        long* s = (long*)state;
        if (WorkerPool.CurrentSlot != 0)
        {
            long end = System.Diagnostics.Stopwatch.GetTimestamp() + s[0];
            while (System.Diagnostics.Stopwatch.GetTimestamp() < end)
                Thread.SpinWait(10);
        }
        Volatile.Write(ref s[1 + i], 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RunsEveryIndexExactlyOnce(int threads)
    {
        using var pool = new WorkerPool(threads);
        Assert.Equal(threads, pool.Threads);
        foreach (int count in new[] { 0, 1, 2, 3, 7, 64, 1000 })
        {
            for (int rep = 0; rep < 20; rep++)
            {
                var counts = new int[count + 1];   // +1: a sentinel past the end that must stay 0
                fixed (int* p = counts)
                    pool.Run(&CountBody, p, count);
                for (int i = 0; i < count; i++)
                    Assert.True(counts[i] == 1, $"index {i} of {count} ran {counts[i]} times on {threads} threads");
                Assert.Equal(0, counts[count]);
            }
        }
    }

    [Fact]
    public void ConcurrentBodiesUseDistinctSlots()
    {
        using var pool = new WorkerPool(3);
        var slots = new int[300];
        fixed (int* p = slots)
            pool.Run(&RecordSlotBody, p, slots.Length);
        Assert.All(slots, s => Assert.InRange(s, 0, 2));
        Assert.Contains(0, slots);   // the caller works too
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ExceptionInABodyIsRethrownOnTheCaller(int threads)
    {
        using var pool = new WorkerPool(threads);
        var started = new int[1];
        var ex = Assert.Throws<InvalidOperationException>(() =>
        {
            fixed (int* p = started)
                pool.Run(&ThrowOnFiveBody, p, 100);
        });
        Assert.Equal("body failed at index 5", ex.Message);
        Assert.InRange(started[0], 6, 100);

        // The pool is still usable afterwards.
        var counts = new int[50];
        fixed (int* p = counts)
            pool.Run(&CountBody, p, counts.Length);
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SteadyStateRunAllocatesNothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        var counts = new int[64];
        fixed (int* p = counts)
        {
            pool.Run(&CountBody, p, counts.Length);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
                pool.Run(&CountBody, p, counts.Length);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.All(counts, c => Assert.Equal(101, c));
    }

    /// <summary>state: [0] = ticks the caller busy-waits per index, [1] = ticks a worker busy-waits per index.</summary>
    private static void SlowEverywhereBody(void* state, int i)
    {
        long* s = (long*)state;
        long end = System.Diagnostics.Stopwatch.GetTimestamp() + s[WorkerPool.CurrentSlot == 0 ? 0 : 1];
        while (System.Diagnostics.Stopwatch.GetTimestamp() < end)
            Thread.SpinWait(10);
    }

    [Fact]
    public void ACallerThatBlocksForTheFirstTimeAfterWarmUpAllocatesNothing()
    {
        // A caller blocks in Monitor.Wait only when a worker is still inside the run after the caller's spin limit
        // (0.1 ms), which may first happen long after warm-up; in a console program .NET 10 allocates 0.5–2 KB the
        // first time a thread blocks in Monitor.Wait (a WorkerPool's constructor, whose Thread.Start waits, already
        // takes it). Here the warm-up runs never make the caller block; then every worker index takes 3 ms and
        // every caller index 0.3 ms, so a worker that joins holds the caller waiting.
        var allocated = new long[1];
        var thread = new Thread(() =>
        {
            using var pool = new WorkerPool(2);
            long ticksPerMicro = System.Diagnostics.Stopwatch.Frequency / 1_000_000;
            var state = new long[2];
            fixed (long* p = state)
            {
                for (int rep = 0; rep < 3; rep++)
                    pool.Run(&SlowEverywhereBody, p, 8);   // zero delays: quick runs
                long before = GC.GetAllocatedBytesForCurrentThread();
                p[0] = 300 * ticksPerMicro;
                p[1] = 3000 * ticksPerMicro;
                for (int rep = 0; rep < 5; rep++)
                    pool.Run(&SlowEverywhereBody, p, 16);
                allocated[0] = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        });
        thread.Start();   // a fresh thread, which has never blocked in Monitor.Wait
        thread.Join();
        Assert.Equal(0, allocated[0]);
    }

    private struct NestedState
    {
        public int* Counts;
        public int Inner;
    }

    private static WorkerPool? s_nestedPool;

    private static void OuterBody(void* state, int i)
    {
        var s = (NestedState*)state;
        // Nested Run on the pool that is executing us: runs inline, must not deadlock.
        s_nestedPool!.Run(&CountBody, s->Counts + i * s->Inner, s->Inner);
    }

    [Fact]
    public void NestedRunOnTheSamePoolRunsInline()
    {
        using var pool = new WorkerPool(2);
        s_nestedPool = pool;
        const int outer = 8, inner = 10;
        var counts = new int[outer * inner];
        fixed (int* p = counts)
        {
            var state = new NestedState { Counts = p, Inner = inner };
            pool.Run(&OuterBody, &state, outer);
        }
        Assert.All(counts, c => Assert.Equal(1, c));
        s_nestedPool = null;
    }

    [Fact]
    public void RunsFromTwoThreadsAreSerialisedCorrectly()
    {
        using var pool = new WorkerPool(2);
        int failures = 0;
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                var counts = new int[37];
                for (int rep = 0; rep < 200; rep++)
                {
                    Array.Clear(counts);
                    fixed (int* p = counts)
                        pool.Run(&CountBody, p, counts.Length);
                    foreach (var c in counts)
                        if (c != 1)
                            Interlocked.Increment(ref failures);
                }
            });
            threads[t].Start();
        }
        foreach (var t in threads)
            t.Join();
        Assert.Equal(0, failures);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void RunWaitsForSlowWorkersWhetherItSpinsOrBlocks(int threads)
    {
        // Workers finishing their last index at times around the caller's spin limit (0.1 ms): the caller
        // returns from short waits by spinning and from long ones by blocking; it must never return early
        // or miss the wake-up.
        using var pool = new WorkerPool(threads);
        long ticksPerMicro = System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        long[] delaysMicros = [0, 5, 60, 95, 105, 150, 400, 2000];
        const int count = 4;
        var state = new long[1 + count];
        for (int rep = 0; rep < 160; rep++)
        {
            Array.Clear(state);
            state[0] = delaysMicros[rep % delaysMicros.Length] * ticksPerMicro;
            fixed (long* p = state)
                pool.Run(&SlowOnWorkersBody, p, count);
            for (int i = 0; i < count; i++)
                Assert.True(state[1 + i] == 1, $"index {i} not finished when Run returned (rep {rep}, {threads} threads)");
        }
    }

    [Fact]
    public void RunAfterIdleSleepStillWorks()
    {
        using var pool = new WorkerPool(2);
        Thread.Sleep(50);   // workers have stopped spinning and block
        var counts = new int[100];
        fixed (int* p = counts)
            pool.Run(&CountBody, p, counts.Length);
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
        var pool = new WorkerPool(2);
        Assert.Throws<ArgumentNullException>(() => pool.Run(null, null, 3));
        pool.Dispose();
        pool.Dispose();   // idempotent
        Assert.Throws<ObjectDisposedException>(() => pool.Run(&NoOpBody, null, 3));
    }

    [Fact]
    public void DefaultPoolExistsAndCanBeReplaced()
    {
        var original = WorkerPool.Default;
        Assert.Equal(Environment.ProcessorCount, original.Threads);
        using var replacement = new WorkerPool(1);
        try
        {
            WorkerPool.Default = replacement;
            Assert.Same(replacement, WorkerPool.Default);
        }
        finally
        {
            WorkerPool.Default = original;
        }
        Assert.Same(original, WorkerPool.Default);
    }
}
