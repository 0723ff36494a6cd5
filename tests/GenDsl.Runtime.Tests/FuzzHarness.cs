using System.Diagnostics;
using GenDsl.IO;
using Xunit.Abstractions;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// Runs a reader over many mutated files and checks each outcome: a clean read, or a
/// <see cref="DataFormatException"/> / <see cref="InvalidDataException"/> whose message names the
/// file. Anything else (an <see cref="InvalidOperationException"/> from a JSON parser, an
/// <see cref="IndexOutOfRangeException"/>, an <see cref="OutOfMemoryException"/>, …) is an escape.
/// It also checks that a read allocates at most <c>allocationFactor</c> × the bytes handed to it
/// (after decompression) plus a constant, so that no length field is trusted before it is checked.
/// </summary>
internal sealed class FuzzHarness(string fileName, ITestOutputHelper output)
{
    /// <summary>Allocation allowed for any read besides the proportional part: parser state, gzip buffers, exception messages.</summary>
    public const long AllocationConstant = 512 * 1024;

    /// <summary>Per byte of (decompressed) input: the input copy, the floats (4 per byte of ubyte IDX), buffer doubling.</summary>
    public const long AllocationFactor = 24;

    private readonly Dictionary<string, (int Count, string Example)> _escapes = [];

    public int Clean { get; private set; }

    public int Rejected { get; private set; }

    public int Iterations => Clean + Rejected + _escapes.Values.Sum(e => e.Count);

    public long MaxAllocated { get; private set; }

    /// <summary>
    /// One case: runs <paramref name="read"/> and records the outcome. <paramref name="sizeForAllocation"/>
    /// is the size the allocations are measured against (the file's, or its decompressed size).
    /// </summary>
    public void Check(byte[] file, long sizeForAllocation, Action read, Func<string> describe)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = null;
        try
        {
            read();
        }
        catch (Exception e)
        {
            error = e;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        MaxAllocated = Math.Max(MaxAllocated, allocated - AllocationFactor * sizeForAllocation);
        if (allocated > AllocationConstant + AllocationFactor * sizeForAllocation)
        {
            Record($"allocated {allocated:N0} bytes for {sizeForAllocation:N0} bytes of input", file, describe);
            return;
        }
        switch (error)
        {
            case null:
                Clean++;
                break;
            case DataFormatException or InvalidDataException when error.Message.Contains(fileName, StringComparison.Ordinal):
                Rejected++;
                break;
            default:
                Record($"{error.GetType().Name}: {FirstLine(error.Message)}", file, describe);
                break;
        }
    }

    private void Record(string what, byte[] file, Func<string> describe)
    {
        // Group by the message with its numbers removed, so one kind of escape is one row.
        string key = new(what.Select(c => char.IsAsciiDigit(c) ? '#' : c).ToArray());
        if (_escapes.TryGetValue(key, out var seen))
        {
            _escapes[key] = (seen.Count + 1, seen.Example);
            return;
        }
        string bytes = file.Length <= 256 ? Convert.ToHexString(file) : $"{file.Length} bytes";
        _escapes[key] = (1, $"{what}\n    after: {describe()}\n    file: {bytes}");
    }

    private static string FirstLine(string message)
    {
        int end = message.IndexOf('\n');
        return end < 0 ? message : message[..end];
    }

    /// <summary>Runs <paramref name="iterations"/> cases (or as many as <paramref name="budget"/> allows), then asserts no escape.</summary>
    public void Run(int iterations, TimeSpan budget, Action<int> oneCase)
    {
        var clock = Stopwatch.StartNew();
        int i = 0;
        for (; i < iterations && clock.Elapsed < budget; i++)
            oneCase(i);
        output.WriteLine($"{fileName}: {Iterations} cases in {clock.Elapsed.TotalSeconds:F1} s: {Clean} clean reads, {Rejected} rejected, " +
            $"{Iterations - Clean - Rejected} escapes; largest allocation beyond {AllocationFactor} × input: {MaxAllocated:N0} bytes");
        Assert.True(_escapes.Count == 0,
            $"{Iterations - Clean - Rejected} of {Iterations} mutated {fileName} files escaped the reader's validation:\n" +
            string.Join("\n", _escapes.Values.OrderByDescending(e => e.Count).Select(e => $"  {e.Count} × {e.Example}")));
        Assert.True(i == iterations || Iterations >= iterations / 4,
            $"only {Iterations} of {iterations} cases ran within {budget.TotalSeconds} s");
        Assert.True(Clean > 0 && Rejected > 0, $"the mutations should give both clean reads and rejections ({Clean} clean, {Rejected} rejected)");
    }
}
