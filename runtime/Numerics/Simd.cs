using System.Runtime.Intrinsics;

namespace GenDsl.Numerics;

/// <summary>Which vector width the kernels use.</summary>
public enum SimdWidth
{
    /// <summary>Scalar code only (one float at a time, fused multiply-add where the vector paths use it).</summary>
    Scalar = 0,
    /// <summary>128-bit vectors.</summary>
    V128 = 128,
    /// <summary>256-bit vectors (AVX2).</summary>
    V256 = 256,
    /// <summary>512-bit vectors (AVX-512).</summary>
    V512 = 512,
}

/// <summary>
/// The vector width every kernel uses. Defaults to the widest the machine accelerates; tests lower it
/// to exercise the Vector256 and scalar paths on an AVX-512 machine. All paths give bit-identical
/// results: every lane does the same sequence of IEEE operations (with fused multiply-add) as the
/// scalar code.
/// </summary>
public static class Simd
{
    private static SimdWidth s_width = Detect();

    /// <summary>The widest width this machine accelerates.</summary>
    public static SimdWidth Hardware { get; } = Detect();

    /// <summary>The width in use. Setting a width wider than <see cref="Hardware"/> is an error.</summary>
    public static SimdWidth Width
    {
        get => s_width;
        set
        {
            if (value > Hardware)
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    $"This machine accelerates vectors up to {Hardware}; choose {Hardware} or narrower.");
            s_width = value;
        }
    }

    /// <summary>True when 512-bit vector code paths should run.</summary>
    public static bool Use512 => s_width == SimdWidth.V512;

    /// <summary>True when 256-bit vector code paths should run (and 512 does not).</summary>
    public static bool Use256 => s_width == SimdWidth.V256;

    /// <summary>True when 128-bit vector code paths should run (and wider ones do not).</summary>
    public static bool Use128 => s_width == SimdWidth.V128;

    private static SimdWidth Detect() =>
        Vector512.IsHardwareAccelerated ? SimdWidth.V512
        : Vector256.IsHardwareAccelerated ? SimdWidth.V256
        : Vector128.IsHardwareAccelerated ? SimdWidth.V128
        : SimdWidth.Scalar;
}
