namespace GenDsl.Data;

/// <summary>
/// A small, seeded pseudo-random generator for the data module: xoshiro256** (Blackman &amp; Vigna, 2018)
/// with its 256-bit state filled by SplitMix64 from a 64-bit seed. Same seed → same stream on every
/// machine (the integer and uniform draws are exact; the Gaussian draws go through
/// <see cref="Math.Log(double)"/>, <see cref="Math.Sqrt"/> and <see cref="Math.SinCos"/>, which are
/// deterministic on one platform).
/// </summary>
internal sealed class DataRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    /// <summary>Seeds the generator; any 64-bit value (including 0) gives a valid, distinct state.</summary>
    public DataRandom(ulong seed)
    {
        ulong sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>One step of SplitMix64 (Steele, Lea &amp; Flood, 2014): advances <paramref name="state"/> and returns a well-mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1): the top 53 bits scaled by 2⁻⁵³ (every value is exact).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's multiply-and-reject method).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0)
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be positive.");
        // The high 64 bits of x·bound are uniform in [0, bound) except for a small bias, removed by
        // rejecting the low products below 2⁶⁴ mod bound.
        ulong b = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), b, out ulong low);
        if (low < b)
        {
            ulong threshold = (0UL - b) % b;
            while (low < threshold)
                high = Math.BigMul(NextUInt64(), b, out low);
        }
        return (int)high;
    }

    /// <summary>A standard normal draw (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareGaussian;
        }
        // u1 ∈ (0, 1] so that the logarithm is finite.
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
        _spareGaussian = r * sin;
        _hasSpare = true;
        return r * cos;
    }

    /// <summary>Shuffles <paramref name="values"/> in place with the Fisher–Yates algorithm (every permutation equally likely).</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
