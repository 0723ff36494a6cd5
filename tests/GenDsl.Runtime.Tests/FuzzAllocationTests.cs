using System.Buffers.Binary;
using System.Text;
using GenDsl.IO;
using Xunit.Abstractions;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// Issue #15: no reader allocates in proportion to a length field before checking it against the
/// file. Each file here claims far more data than it holds (or, gzipped, holds far more than its
/// header claims); the read must fail with a <see cref="DataFormatException"/> after allocating no
/// more than a few times what is really there, plus a constant. Allocations are counted with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> (the readers run on the calling thread).
/// </summary>
public sealed class FuzzAllocationTests(ITestOutputHelper output) : IDisposable
{
    private readonly ReaderTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>Bytes a failed read may allocate besides a few times the real data: exception, message, parser and gzip state.</summary>
    private const long Constant = 256 * 1024;

    private long AllocationOfFailedRead(string what, Action read)
    {
        read = WarmedUp(read);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Record.Exception(read);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsType<DataFormatException>(error);
        output.WriteLine($"{what}: {allocated:N0} bytes allocated; {error.Message}");
        return allocated;
    }

    /// <summary>Runs the read once unmeasured, so that one-time type initialisation is not counted.</summary>
    private static Action WarmedUp(Action read)
    {
        try { read(); } catch (DataFormatException) { }
        return read;
    }

    [Theory]
    [InlineData(new[] { 1 << 30, 1 }, "ubyte images: 2^30 × 1")]
    [InlineData(new[] { 60_000, 28, 28 }, "ubyte images: 60000 × 28 × 28 (MNIST's header)")]
    [InlineData(new[] { int.MaxValue, 28, 28 }, "ubyte images: 2^31 − 1 × 28 × 28")]
    [InlineData(new[] { int.MaxValue }, "ubyte labels: 2^31 − 1")]
    public void IdxHeaderClaimingMillionsOfImagesInA100ByteFile(int[] dims, string what)
    {
        byte[] file = FuzzReaderTests.Idx(0x08, dims, new byte[100 - 4 - 4 * dims.Length]);
        string path = _files.WriteBytes("claims-idx3-ubyte", file);
        long allocated = AllocationOfFailedRead(what, () =>
        {
            if (dims.Length == 1) IdxReader.ReadLabels(path);
            else IdxReader.ReadImages(path);
        });
        Assert.InRange(allocated, 0, 8 * file.Length + Constant);
    }

    [Theory]
    [InlineData("<f4", "(1000000000,)")]
    [InlineData("<f8", "(40000, 25000)")]
    [InlineData("|u1", "(2147483647, 1)")]
    public void NpyShapeOfABillionElementsInASmallFile(string descr, string shape)
    {
        byte[] file = FuzzReaderTests.Npy(1, descr, shape, new byte[36]);
        string path = _files.WriteBytes("claims.npy", file);
        long allocated = AllocationOfFailedRead($"npy {descr} {shape}", () => NpyReader.Read(path));
        Assert.InRange(allocated, 0, 8 * file.Length + Constant);
    }

    [Theory]
    [InlineData(1L << 40, "{}")]
    [InlineData(SafeTensors.MaxHeaderBytes, "{}")]
    [InlineData(-1L, "{}")]
    [InlineData(0L, """{"t":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}""")]
    [InlineData(0L, """{"t":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,17179869184]}}""")]
    public void SafeTensorsHeaderClaimingTerabytes(long headerLength, string header)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] file = [.. new byte[8], .. json, .. new byte[16]];
        BinaryPrimitives.WriteInt64LittleEndian(file, headerLength == 0 ? json.Length : headerLength);
        string path = _files.WriteBytes("claims.safetensors", file);
        long allocated = AllocationOfFailedRead($"safetensors header length {headerLength}, {header}", () => SafeTensors.Read(path));
        Assert.InRange(allocated, 0, 8 * file.Length + Constant);
    }

    [Fact]
    public void GzippedIdxClaimingABillionPixelsHoldingAFew()
    {
        // The true size of gzipped data is unknown until the stream ends: the reader may only grow its buffer as data arrives.
        byte[] raw = FuzzReaderTests.Idx(0x08, [1 << 20, 32, 32], new byte[4000]);
        byte[] file = FuzzReaderTests.Gzip(raw);
        string path = _files.WriteBytes("claims-idx3-ubyte.gz", file);
        long allocated = AllocationOfFailedRead("gzipped IDX claiming 2^30 pixels, holding 4000", () => IdxReader.ReadImages(path));
        Assert.InRange(allocated, 0, 8 * (file.Length + raw.Length) + Constant);
    }

    /// <summary>
    /// A gzip "bomb": a 64 KiB file whose header claims a few values but which decompresses to
    /// 64 MiB more. Reading the whole stream first cost 334 MB of allocations; the reader must stop
    /// at the length its header declares.
    /// </summary>
    [Theory]
    [InlineData("bomb-idx3-ubyte.gz")]
    [InlineData("bomb.npy.gz")]
    public void GzippedFileHoldingFarMoreThanItsHeaderClaimsStopsAtTheClaim(string name)
    {
        bool idx = name.Contains("idx", StringComparison.Ordinal);
        byte[] header = idx ? FuzzReaderTests.Idx(0x08, [10, 28, 28], new byte[10 * 784]) : FuzzReaderTests.Npy(1, "<f4", "(100, 2)", new byte[800]);
        byte[] file = FuzzReaderTests.Gzip([.. header, .. new byte[64 << 20]]);
        string path = _files.WriteBytes(name, file);
        long allocated = AllocationOfFailedRead($"{name}: {file.Length:N0} bytes claiming {header.Length:N0}, holding 64 MiB more",
            () => { if (idx) IdxReader.ReadImages(path); else NpyReader.Read(path); });
        Assert.InRange(allocated, 0, 8 * (file.Length + header.Length) + Constant);
    }

    [Fact]
    public void GzippedNpyClaimingABillionValuesHoldingAFew()
    {
        byte[] raw = FuzzReaderTests.Npy(2, "<f4", "(1000000000,)", new byte[400]);
        byte[] file = FuzzReaderTests.Gzip(raw);
        string path = _files.WriteBytes("claims.npy.gz", file);
        long allocated = AllocationOfFailedRead("gzipped NPY claiming 1e9 float32, holding 100", () => NpyReader.Read(path));
        Assert.InRange(allocated, 0, 8 * (file.Length + raw.Length) + Constant);
    }
}
