using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GenDsl.Numerics;

namespace GenDsl;

/// <summary>
/// A reproducible random stream built on <see cref="Philox"/>: output number <c>i</c> depends only on
/// (<see cref="Seed"/>, <see cref="Stream"/>, <c>i</c>), never on how the numbers were requested.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Position"/> counts 32-bit words. Every draw consumes whole words and advances the position:
/// </para>
/// <list type="bullet">
/// <item>a uniform float at position <c>p</c> is word <c>p</c>'s top 24 bits times 2⁻²⁴ (one word);</item>
/// <item>a normal at position <c>p</c> is one half of the Box–Muller pair made from words
/// <c>2⌊p/2⌋</c> and <c>2⌊p/2⌋ + 1</c>: ρ·cos θ when <c>p</c> is even, ρ·sin θ when odd (one word);</item>
/// <item><see cref="NextInt"/> uses one word, occasionally more (rejection keeps it unbiased).</item>
/// </list>
/// <para>
/// So a fill of <c>n</c> numbers starting at position <c>p</c> gives exactly what <c>n</c> single draws would,
/// a fill can be split into chunks (even across threads, with the static <c>Fill…(seed, stream, position, …)</c>
/// helpers), and the result is bit-identical at every <see cref="Simd.Width"/> and on every machine (the
/// logarithm, sine and cosine are GenDsl's own polynomials, not the C library's). One caveat of the
/// word-sharing design: a normal drawn at an odd position reuses the word of the draw just before it; if you
/// mix uniform and normal draws, keep normal draws at even positions (or use separate streams).
/// </para>
/// <para>Not thread-safe: give each thread its own <see cref="Rng"/> (another stream) or use the static helpers.</para>
/// </remarks>
public sealed class Rng
{
    /// <summary>Floats transformed per Philox pass in a fill: small enough to stay in L1.</summary>
    private const int Chunk = 1024;

    // The last Philox block computed, for single draws (four words per block, so 3 of 4 draws are free).
    private ulong _cachedBlock;
    private bool _cacheValid;
    private uint _w0, _w1, _w2, _w3;

    /// <summary>Creates stream <paramref name="stream"/> of generator <paramref name="seed"/>, at position 0.</summary>
    public Rng(ulong seed, ulong stream = 0)
    {
        Seed = seed;
        Stream = stream;
    }

    /// <summary>The Philox key.</summary>
    public ulong Seed { get; }

    /// <summary>The stream: independent sequences for the same seed (the high 64 bits of the Philox counter).</summary>
    public ulong Stream { get; }

    /// <summary>Index of the next 32-bit word to be used. Settable: save it and restore it to replay draws.</summary>
    public ulong Position { get; set; }

    /// <summary>The next raw 32-bit word.</summary>
    public uint NextUInt32() => WordAt(Position++);

    /// <summary>A uniform float in [0, 1) on the grid k·2⁻²⁴.</summary>
    public float NextUniform() => RandomKernels.Uniform01<ScalarLanes, float, uint>(WordAt(Position++));

    /// <summary>A uniform float in [<paramref name="low"/>, <paramref name="high"/>) (= low when high = low).</summary>
    public float NextUniform(float low, float high)
    {
        float highBelow = CheckRange(low, high);
        return RandomKernels.UniformRange<ScalarLanes, float, uint>(WordAt(Position++), high - low, low, highBelow);
    }

    /// <summary>A standard normal N(0, 1) (one half of a Box–Muller pair; see the class remarks).</summary>
    public float NextNormal() => NextNormal(0f, 1f);

    /// <summary>A normal with the given mean and standard deviation: mean + std·z with one rounding.</summary>
    public float NextNormal(float mean, float std)
    {
        CheckNormal(mean, std);
        ulong p = Position++;
        uint w1 = WordAt(p & ~1UL), w2 = WordAt(p | 1UL);
        RandomKernels.BoxMuller<ScalarLanes, float, uint>(w1, w2, mean, std, out float z0, out float z1);
        return (p & 1) == 0 ? z0 : z1;
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="maxExclusive"/>), exactly unbiased (Lemire's multiply-shift
    /// with rejection: a 32-bit word w maps to ⌊w·n/2³²⌋, and the few words that would over-represent some
    /// values are rejected, consuming another word).
    /// </summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive,
                "maxExclusive must be at least 1: the result is drawn from [0, maxExclusive).");
        uint s = (uint)maxExclusive;
        ulong m = (ulong)NextUInt32() * s;
        uint low = (uint)m;
        if (low < s)
        {
            uint threshold = (0u - s) % s; // 2³² mod s: the number of over-represented low words
            while (low < threshold)
            {
                m = (ulong)NextUInt32() * s;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Permutes <paramref name="indices"/> uniformly at random in place (Fisher–Yates, from the end).</summary>
    public void Shuffle(Span<int> indices)
    {
        for (int i = indices.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
    }

    /// <summary>Writes 0, 1, …, n − 1 into <paramref name="destination"/> and shuffles it (a random permutation).</summary>
    public void Permutation(Span<int> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = i;
        Shuffle(destination);
    }

    /// <summary>Fills with uniform floats in [0, 1), exactly as that many <see cref="NextUniform()"/> calls would.</summary>
    public void FillUniform(Span<float> destination)
    {
        FillUniform(Seed, Stream, Position, destination);
        Position += (ulong)destination.Length;
    }

    /// <summary>Fills with uniform floats in [low, high), exactly as that many <see cref="NextUniform(float, float)"/> calls would.</summary>
    public void FillUniform(Span<float> destination, float low, float high)
    {
        FillUniform(Seed, Stream, Position, destination, low, high);
        Position += (ulong)destination.Length;
    }

    /// <summary>Fills with normals, exactly as that many <see cref="NextNormal(float, float)"/> calls would.</summary>
    public void FillNormal(Span<float> destination, float mean = 0f, float std = 1f)
    {
        FillNormal(Seed, Stream, Position, destination, mean, std);
        Position += (ulong)destination.Length;
    }

    // -------------------------------------------------------------------------------------------------
    // Stateless helpers: element k of the destination is the number at position (position + k) of the
    // stream. Threads can fill disjoint chunks of one tensor reproducibly.
    // -------------------------------------------------------------------------------------------------

    /// <summary>Uniform floats in [0, 1) at positions <paramref name="position"/>, … of (seed, stream).</summary>
    public static void FillUniform(ulong seed, ulong stream, ulong position, Span<float> destination) =>
        FillUniformCore(seed, stream, position, destination, 0f, 1f, BitDecrement1);

    /// <summary>Uniform floats in [low, high) at positions <paramref name="position"/>, … of (seed, stream).</summary>
    public static void FillUniform(ulong seed, ulong stream, ulong position, Span<float> destination, float low, float high)
    {
        float highBelow = CheckRange(low, high);
        FillUniformCore(seed, stream, position, destination, low, high - low, highBelow);
    }

    /// <summary>Normals mean + std·z at positions <paramref name="position"/>, … of (seed, stream).</summary>
    public static void FillNormal(ulong seed, ulong stream, ulong position, Span<float> destination, float mean = 0f, float std = 1f)
    {
        CheckNormal(mean, std);
        int n = destination.Length;
        if (n == 0)
            return;
        int i = 0;
        if ((position & 1) != 0)
        {
            // Odd start: the sine half of the pair whose first word lies before the destination.
            destination[0] = NormalAt(seed, stream, position, mean, std);
            i = 1;
        }
        int paired = (n - i) & ~1;
        var words = MemoryMarshal.Cast<float, uint>(destination);
        for (int start = i; start < i + paired; start += Chunk)
        {
            int length = Math.Min(Chunk, i + paired - start);
            var chunk = words.Slice(start, length);
            Philox.Fill(seed, stream, position + (ulong)start, chunk);
            ref uint data = ref MemoryMarshal.GetReference(chunk);
            nuint done = 0;
            if (Simd.Use512)
                done = RandomKernels.NormalInPlace<Lanes512, Vector512<float>, Vector512<uint>>(ref data, 0, (nuint)length, mean, std);
            else if (Simd.Use256)
                done = RandomKernels.NormalInPlace<Lanes256, Vector256<float>, Vector256<uint>>(ref data, 0, (nuint)length, mean, std);
            else if (Simd.Use128)
                done = RandomKernels.NormalInPlace<Lanes128, Vector128<float>, Vector128<uint>>(ref data, 0, (nuint)length, mean, std);
            RandomKernels.NormalInPlace<ScalarLanes, float, uint>(ref data, done, (nuint)length, mean, std);
        }
        if (i + paired < n)
            destination[n - 1] = NormalAt(seed, stream, position + (ulong)(n - 1), mean, std); // the cosine half
    }

    private static readonly float BitDecrement1 = MathF.BitDecrement(1f);

    private static void FillUniformCore(ulong seed, ulong stream, ulong position, Span<float> destination,
        float low, float span, float highBelow)
    {
        var words = MemoryMarshal.Cast<float, uint>(destination);
        for (int start = 0; start < words.Length; start += Chunk)
        {
            int length = Math.Min(Chunk, words.Length - start);
            var chunk = words.Slice(start, length);
            Philox.Fill(seed, stream, position + (ulong)start, chunk);
            ref uint data = ref MemoryMarshal.GetReference(chunk);
            nuint done = 0;
            if (Simd.Use512)
                done = RandomKernels.UniformInPlace<Lanes512, Vector512<float>, Vector512<uint>>(ref data, 0, (nuint)length, low, span, highBelow);
            else if (Simd.Use256)
                done = RandomKernels.UniformInPlace<Lanes256, Vector256<float>, Vector256<uint>>(ref data, 0, (nuint)length, low, span, highBelow);
            else if (Simd.Use128)
                done = RandomKernels.UniformInPlace<Lanes128, Vector128<float>, Vector128<uint>>(ref data, 0, (nuint)length, low, span, highBelow);
            RandomKernels.UniformInPlace<ScalarLanes, float, uint>(ref data, done, (nuint)length, low, span, highBelow);
        }
    }

    /// <summary>The normal at one position, computed alone (both words of its pair are in the same block).</summary>
    private static float NormalAt(ulong seed, ulong stream, ulong position, float mean, float std)
    {
        var (r0, r1, r2, r3) = Philox.Block(seed, stream, position >> 2);
        int lane = (int)(position & 2);
        uint w1 = Philox.Pick(r0, r1, r2, r3, lane), w2 = Philox.Pick(r0, r1, r2, r3, lane + 1);
        RandomKernels.BoxMuller<ScalarLanes, float, uint>(w1, w2, mean, std, out float z0, out float z1);
        return (position & 1) == 0 ? z0 : z1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint WordAt(ulong position)
    {
        ulong block = position >> 2;
        if (!_cacheValid || block != _cachedBlock)
        {
            (_w0, _w1, _w2, _w3) = Philox.Block(Seed, Stream, block);
            _cachedBlock = block;
            _cacheValid = true;
        }
        return Philox.Pick(_w0, _w1, _w2, _w3, (int)(position & 3));
    }

    /// <summary>Validates a uniform range and returns the largest float allowed (just below high).</summary>
    private static float CheckRange(float low, float high)
    {
        if (!float.IsFinite(low) || !float.IsFinite(high) || !(low <= high) || !float.IsFinite(high - low))
            throw new ArgumentException(
                $"The uniform range [low = {low}, high = {high}) is invalid: low and high must be finite with low ≤ high and high − low finite.",
                nameof(low));
        return high > low ? MathF.BitDecrement(high) : high;
    }

    private static void CheckNormal(float mean, float std)
    {
        if (!float.IsFinite(mean))
            throw new ArgumentException($"mean = {mean} is not finite; pass a finite mean.", nameof(mean));
        if (!float.IsFinite(std) || std < 0f)
            throw new ArgumentException($"std = {std} is invalid; pass a finite standard deviation ≥ 0.", nameof(std));
    }
}
