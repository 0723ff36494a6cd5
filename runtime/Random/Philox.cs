using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GenDsl.Numerics;

namespace GenDsl;

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3" (SC 2011), with the constants of the Random123 library.
/// </summary>
/// <remarks>
/// <para>
/// A counter-based generator is a keyed bijection: block <c>b</c> of the stream is
/// <c>Philox(counter = b, key = seed)</c>, so any word can be computed without computing the ones before it.
/// That is what makes parallel, chunked and vectorised generation reproducible: the output does not depend
/// on who computes which part, in which order, or at which vector width.
/// </para>
/// <para>
/// Mapping used throughout GenDsl: the 64-bit <c>key</c> is the seed (low half = key word 0); the 128-bit
/// counter has the block index in its low 64 bits (counter words 0 and 1) and the stream in its high 64 bits
/// (counter words 2 and 3). Each block yields four 32-bit words; 32-bit word <c>i</c> of a stream is word
/// <c>i % 4</c> of block <c>i / 4</c>.
/// </para>
/// <para>
/// One round: the two 32×32→64-bit products <c>M0·x0</c> and <c>M1·x2</c> are split into high and low halves,
/// and the state becomes <c>(hi1 ⊕ x1 ⊕ k0, lo1, hi0 ⊕ x3 ⊕ k1, lo0)</c>; between rounds the key is bumped by
/// the Weyl constants <c>(W0, W1)</c> (fractional parts of the golden ratio and √3 − 1). Ten rounds pass
/// BigCrush with a wide margin.
/// </para>
/// </remarks>
public static class Philox
{
    /// <summary>Multiplier applied to state word 0.</summary>
    public const uint M0 = 0xD2511F53;
    /// <summary>Multiplier applied to state word 2.</summary>
    public const uint M1 = 0xCD9E8D57;
    /// <summary>Key bump for key word 0 (golden ratio).</summary>
    public const uint W0 = 0x9E3779B9;
    /// <summary>Key bump for key word 1 (√3 − 1).</summary>
    public const uint W1 = 0xBB67AE85;
    /// <summary>Number of rounds.</summary>
    public const int Rounds = 10;

    /// <summary>
    /// The raw Philox4x32-10 bijection on a 128-bit counter <c>(c0, c1, c2, c3)</c> and a 64-bit key
    /// <c>(k0, k1)</c>, word order as in Random123 (the published known-answer vectors use this form).
    /// </summary>
    public static (uint R0, uint R1, uint R2, uint R3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < Rounds; round++)
        {
            // 32×32 → 64-bit products; hi/lo halves feed the next state (the "S-box" of Philox).
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0; // the bump after the last round is harmless: the key is not used again
            k1 += W1;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// Block <paramref name="block"/> of stream <paramref name="stream"/> under key <paramref name="seed"/>:
    /// the four 32-bit words <c>4·block … 4·block + 3</c> of that stream.
    /// </summary>
    public static (uint R0, uint R1, uint R2, uint R3) Block(ulong seed, ulong stream, ulong block) =>
        Block((uint)block, (uint)(block >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32));

    /// <summary>
    /// Writes 32-bit words <c>position … position + destination.Length − 1</c> of stream
    /// <paramref name="stream"/> under <paramref name="seed"/>. Stateless: disjoint chunks can be filled by
    /// different threads and the result is the same as one big fill. Vectorised at <see cref="Simd.Width"/>;
    /// the words are exact integers, so every width gives the same output.
    /// </summary>
    public static void Fill(ulong seed, ulong stream, ulong position, Span<uint> destination)
    {
        int n = destination.Length;
        if (n == 0)
            return;
        int i = 0;

        // Head: the words of a block that the position starts inside of.
        int lane = (int)(position & 3);
        ulong block = position >> 2;
        if (lane != 0)
        {
            var (r0, r1, r2, r3) = Block(seed, stream, block);
            for (; lane < 4 && i < n; lane++, i++)
                destination[i] = Pick(r0, r1, r2, r3, lane);
            block++;
        }

        // Whole blocks.
        int blocks = (n - i) >> 2;
        if (blocks > 0)
        {
            FillBlocks(seed, stream, block, destination.Slice(i, blocks * 4));
            i += blocks * 4;
            block += (ulong)blocks;
        }

        // Tail: the first words of one more block.
        if (i < n)
        {
            var (r0, r1, r2, r3) = Block(seed, stream, block);
            for (lane = 0; i < n; lane++, i++)
                destination[i] = Pick(r0, r1, r2, r3, lane);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Pick(uint r0, uint r1, uint r2, uint r3, int lane) =>
        lane switch { 0 => r0, 1 => r1, 2 => r2, _ => r3 };

    /// <summary>
    /// Writes whole blocks <c>firstBlock, firstBlock + 1, …</c> (the block index wraps modulo 2⁶⁴) into
    /// <paramref name="destination"/>, whose length must be a multiple of 4. Dispatches on <see cref="Simd.Width"/>.
    /// </summary>
    internal static void FillBlocks(ulong seed, ulong stream, ulong firstBlock, Span<uint> destination)
    {
        if ((destination.Length & 3) != 0)
            throw new ArgumentException(
                $"destination has {destination.Length} words, which is not a whole number of 4-word blocks; pass a multiple of 4.",
                nameof(destination));
        int blocks = destination.Length >> 2;
        ref uint dst = ref MemoryMarshal.GetReference(destination);
        int done = 0;
        if (Simd.Use512)
            done = Blocks512(seed, stream, firstBlock, ref dst, blocks);
        else if (Simd.Use256)
            done = Blocks256(seed, stream, firstBlock, ref dst, blocks);
        else if (Simd.Use128)
            done = Blocks128(seed, stream, firstBlock, ref dst, blocks);
        for (int b = done; b < blocks; b++)
        {
            var (r0, r1, r2, r3) = Block(seed, stream, firstBlock + (ulong)b);
            ref uint o = ref Unsafe.Add(ref dst, b * 4);
            o = r0;
            Unsafe.Add(ref o, 1) = r1;
            Unsafe.Add(ref o, 2) = r2;
            Unsafe.Add(ref o, 3) = r3;
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Vector paths. Layout: every 128-bit chunk of a vector holds ONE block's state (x0, x1, x2, x3) as
    // 32-bit lanes, i.e. as 64-bit lanes (x0 | x1 << 32, x2 | x3 << 32): the state is already in output order,
    // so finished vectors are stored without any transposition. One round, per 128-bit chunk:
    //   P   = (x0·M0, x2·M1)            two 32×32→64 products on the even 32-bit lanes = (lo0, hi0, lo1, hi1)
    //   x'  = swap32(P) ⊕ (x ≫ 32) ⊕ K  swap32 reverses the four 32-bit lanes: (hi1, lo1, hi0, lo0);
    //                                   x ≫ 32 on 64-bit lanes = (x1, 0, x3, 0);  K = (k0, 0, k1, 0)
    // which is exactly (hi1 ⊕ x1 ⊕ k0, lo1, hi0 ⊕ x3 ⊕ k1, lo0). Four independent vectors are in flight to
    // hide the multiply latency.
    // ---------------------------------------------------------------------------------------------------

    private static int Blocks512(ulong seed, ulong stream, ulong firstBlock, ref uint dst, int blocks)
    {
        const int PerVector = 4; // blocks per Vector512
        const int PerIteration = 4 * PerVector;
        int b = 0;
        if (blocks < PerIteration)
            return 0;
        var multipliers = Vector512.Create((ulong)M0, M1, M0, M1, M0, M1, M0, M1);
        var key0 = Vector512.Create((ulong)(uint)seed, (uint)(seed >> 32), (uint)seed, (uint)(seed >> 32),
            (uint)seed, (uint)(seed >> 32), (uint)seed, (uint)(seed >> 32));
        var bump = Vector512.Create((ulong)W0, W1, W0, W1, W0, W1, W0, W1);
        var low32 = Vector512.Create(0xFFFF_FFFFUL);
        var counter = Vector512.Create(firstBlock, stream, firstBlock + 1, stream, firstBlock + 2, stream, firstBlock + 3, stream);
        var step = Vector512.Create((ulong)PerVector, 0, PerVector, 0, PerVector, 0, PerVector, 0);
        for (; b + PerIteration <= blocks; b += PerIteration)
        {
            var x0 = counter;
            var x1 = x0 + step;
            var x2 = x1 + step;
            var x3 = x2 + step;
            counter = x3 + step;
            var key = key0;
            for (int round = 0; round < Rounds; round++)
            {
                x0 = Round512(x0, multipliers, key, low32);
                x1 = Round512(x1, multipliers, key, low32);
                x2 = Round512(x2, multipliers, key, low32);
                x3 = Round512(x3, multipliers, key, low32);
                key = (key + bump) & low32; // 32-bit wrap-around of the key words
            }
            ref uint o = ref Unsafe.Add(ref dst, b * 4);
            x0.AsUInt32().StoreUnsafe(ref o, 0);
            x1.AsUInt32().StoreUnsafe(ref o, 16);
            x2.AsUInt32().StoreUnsafe(ref o, 32);
            x3.AsUInt32().StoreUnsafe(ref o, 48);
        }
        return b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Round512(Vector512<ulong> x, Vector512<ulong> m, Vector512<ulong> key, Vector512<ulong> low32)
    {
        Vector512<ulong> p;
        Vector512<uint> swapped;
        if (Avx512F.IsSupported)
        {
            p = Avx512F.Multiply(x.AsUInt32(), m.AsUInt32());            // vpmuludq: even lanes, 64-bit products
            swapped = Avx512F.Shuffle(p.AsUInt32(), 0b00_01_10_11);      // vpshufd: reverse each 128-bit chunk
        }
        else
        {
            p = (x & low32) * m;
            swapped = Vector512.Shuffle(p.AsUInt32(), Vector512.Create(3u, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
        }
        return swapped.AsUInt64() ^ Vector512.ShiftRightLogical(x, 32) ^ key;
    }

    private static int Blocks256(ulong seed, ulong stream, ulong firstBlock, ref uint dst, int blocks)
    {
        const int PerVector = 2;
        const int PerIteration = 4 * PerVector;
        int b = 0;
        if (blocks < PerIteration)
            return 0;
        var multipliers = Vector256.Create((ulong)M0, M1, M0, M1);
        var key0 = Vector256.Create((ulong)(uint)seed, (uint)(seed >> 32), (uint)seed, (uint)(seed >> 32));
        var bump = Vector256.Create((ulong)W0, W1, W0, W1);
        var low32 = Vector256.Create(0xFFFF_FFFFUL);
        var counter = Vector256.Create(firstBlock, stream, firstBlock + 1, stream);
        var step = Vector256.Create((ulong)PerVector, 0, PerVector, 0);
        for (; b + PerIteration <= blocks; b += PerIteration)
        {
            var x0 = counter;
            var x1 = x0 + step;
            var x2 = x1 + step;
            var x3 = x2 + step;
            counter = x3 + step;
            var key = key0;
            for (int round = 0; round < Rounds; round++)
            {
                x0 = Round256(x0, multipliers, key, low32);
                x1 = Round256(x1, multipliers, key, low32);
                x2 = Round256(x2, multipliers, key, low32);
                x3 = Round256(x3, multipliers, key, low32);
                key = (key + bump) & low32;
            }
            ref uint o = ref Unsafe.Add(ref dst, b * 4);
            x0.AsUInt32().StoreUnsafe(ref o, 0);
            x1.AsUInt32().StoreUnsafe(ref o, 8);
            x2.AsUInt32().StoreUnsafe(ref o, 16);
            x3.AsUInt32().StoreUnsafe(ref o, 24);
        }
        return b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Round256(Vector256<ulong> x, Vector256<ulong> m, Vector256<ulong> key, Vector256<ulong> low32)
    {
        Vector256<ulong> p;
        Vector256<uint> swapped;
        if (Avx2.IsSupported)
        {
            p = Avx2.Multiply(x.AsUInt32(), m.AsUInt32());
            swapped = Avx2.Shuffle(p.AsUInt32(), 0b00_01_10_11);
        }
        else
        {
            p = (x & low32) * m;
            swapped = Vector256.Shuffle(p.AsUInt32(), Vector256.Create(3u, 2, 1, 0, 7, 6, 5, 4));
        }
        return swapped.AsUInt64() ^ Vector256.ShiftRightLogical(x, 32) ^ key;
    }

    private static int Blocks128(ulong seed, ulong stream, ulong firstBlock, ref uint dst, int blocks)
    {
        const int PerVector = 1;
        const int PerIteration = 4 * PerVector;
        int b = 0;
        if (blocks < PerIteration)
            return 0;
        var multipliers = Vector128.Create((ulong)M0, M1);
        var key0 = Vector128.Create((ulong)(uint)seed, (uint)(seed >> 32));
        var bump = Vector128.Create((ulong)W0, W1);
        var low32 = Vector128.Create(0xFFFF_FFFFUL);
        var counter = Vector128.Create(firstBlock, stream);
        var step = Vector128.Create((ulong)PerVector, 0);
        for (; b + PerIteration <= blocks; b += PerIteration)
        {
            var x0 = counter;
            var x1 = x0 + step;
            var x2 = x1 + step;
            var x3 = x2 + step;
            counter = x3 + step;
            var key = key0;
            for (int round = 0; round < Rounds; round++)
            {
                x0 = Round128(x0, multipliers, key, low32);
                x1 = Round128(x1, multipliers, key, low32);
                x2 = Round128(x2, multipliers, key, low32);
                x3 = Round128(x3, multipliers, key, low32);
                key = (key + bump) & low32;
            }
            ref uint o = ref Unsafe.Add(ref dst, b * 4);
            x0.AsUInt32().StoreUnsafe(ref o, 0);
            x1.AsUInt32().StoreUnsafe(ref o, 4);
            x2.AsUInt32().StoreUnsafe(ref o, 8);
            x3.AsUInt32().StoreUnsafe(ref o, 12);
        }
        return b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Round128(Vector128<ulong> x, Vector128<ulong> m, Vector128<ulong> key, Vector128<ulong> low32)
    {
        Vector128<ulong> p;
        Vector128<uint> swapped;
        if (Sse2.IsSupported)
        {
            p = Sse2.Multiply(x.AsUInt32(), m.AsUInt32());
            swapped = Sse2.Shuffle(p.AsUInt32(), 0b00_01_10_11);
        }
        else
        {
            p = (x & low32) * m;
            swapped = Vector128.Shuffle(p.AsUInt32(), Vector128.Create(3u, 2, 1, 0));
        }
        return swapped.AsUInt64() ^ Vector128.ShiftRightLogical(x, 32) ^ key;
    }
}
