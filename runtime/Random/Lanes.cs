using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenDsl;

/// <summary>
/// A "vector of lanes" seen through one interface, so that an elementwise kernel is written ONCE, generic
/// over <typeparamref name="TF"/> (float lanes) and <typeparamref name="TU"/> (32-bit integer lanes), and
/// instantiated for scalar, 128-, 256- and 512-bit code. Because every instantiation performs the same
/// sequence of IEEE operations per lane (fused multiply-add included), the widths are bit-identical by
/// construction, and the scalar instantiation doubles as the tail loop.
/// </summary>
/// <remarks>
/// The JIT specialises generic methods over struct type arguments and inlines the static abstract calls, so
/// <c>TL.Add(a, b)</c> compiles to a single <c>vaddps</c> (or <c>addss</c>). Masks are all-ones / all-zeros
/// integer lanes, as the hardware comparisons produce them.
/// </remarks>
internal interface ILanes<TF, TU>
    where TF : struct
    where TU : struct
{
    /// <summary>Number of 32-bit lanes.</summary>
    static abstract int Count { get; }

    static abstract TF Load(ref float source, nuint index);
    static abstract void Store(TF value, ref float destination, nuint index);
    static abstract TU LoadU(ref uint source, nuint index);
    static abstract void StoreU(TU value, ref uint destination, nuint index);

    static abstract TF Splat(float value);
    static abstract TF Add(TF a, TF b);
    static abstract TF Subtract(TF a, TF b);
    static abstract TF Multiply(TF a, TF b);
    static abstract TF Divide(TF a, TF b);
    /// <summary>a·b + c with one rounding.</summary>
    static abstract TF FusedMultiplyAdd(TF a, TF b, TF c);
    /// <summary>Correctly rounded square root.</summary>
    static abstract TF Sqrt(TF a);
    /// <summary>All-ones lanes where a &lt; b.</summary>
    static abstract TU LessThan(TF a, TF b);
    /// <summary>All-ones lanes where a &gt; b.</summary>
    static abstract TU GreaterThan(TF a, TF b);
    /// <summary>Bitwise select: mask ? ifTrue : ifFalse.</summary>
    static abstract TF Select(TU mask, TF ifTrue, TF ifFalse);
    static abstract TU AsBits(TF a);
    static abstract TF FromBits(TU a);
    /// <summary>Converts lanes read as signed 32-bit integers to float (exact below 2²⁴).</summary>
    static abstract TF ConvertFromInt32(TU a);

    static abstract TU SplatU(uint value);
    static abstract TU AddU(TU a, TU b);
    static abstract TU SubtractU(TU a, TU b);
    static abstract TU AndU(TU a, TU b);
    static abstract TU OrU(TU a, TU b);
    static abstract TU XorU(TU a, TU b);
    static abstract TU ShiftRightLogicalU(TU a, int count);
    static abstract TU ShiftLeftU(TU a, int count);

    /// <summary>
    /// Splits 2·Count consecutive words (<paramref name="first"/> then <paramref name="second"/>) into
    /// even-indexed and odd-indexed words: lane j of the results is pair j.
    /// </summary>
    static abstract void Deinterleave(TU first, TU second, out TU even, out TU odd);

    /// <summary>The inverse of <see cref="Deinterleave"/>.</summary>
    static abstract void Interleave(TU even, TU odd, out TU first, out TU second);
}

/// <summary>One lane: plain scalar code (used for the scalar width and for tails).</summary>
internal readonly struct ScalarLanes : ILanes<float, uint>
{
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(ref float source, nuint index) => Unsafe.Add(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint LoadU(ref uint source, nuint index) => Unsafe.Add(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreU(uint value, ref uint destination, nuint index) => Unsafe.Add(ref destination, index) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Splat(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FusedMultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sqrt(float a) => MathF.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint LessThan(float a, float b) => a < b ? uint.MaxValue : 0u;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint GreaterThan(float a, float b) => a > b ? uint.MaxValue : 0u;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Select(uint mask, float ifTrue, float ifFalse) =>
        BitConverter.UInt32BitsToSingle((BitConverter.SingleToUInt32Bits(ifTrue) & mask) | (BitConverter.SingleToUInt32Bits(ifFalse) & ~mask));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint AsBits(float a) => BitConverter.SingleToUInt32Bits(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FromBits(uint a) => BitConverter.UInt32BitsToSingle(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ConvertFromInt32(uint a) => (int)a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint SplatU(uint value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint AddU(uint a, uint b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint SubtractU(uint a, uint b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint AndU(uint a, uint b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint OrU(uint a, uint b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint XorU(uint a, uint b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint ShiftRightLogicalU(uint a, int count) => a >> count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint ShiftLeftU(uint a, int count) => a << count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(uint first, uint second, out uint even, out uint odd) { even = first; odd = second; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(uint even, uint odd, out uint first, out uint second) { first = even; second = odd; }
}

/// <summary>Four lanes (SSE / NEON).</summary>
internal readonly struct Lanes128 : ILanes<Vector128<float>, Vector128<uint>>
{
    public static int Count => Vector128<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(ref float source, nuint index) => Vector128.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> LoadU(ref uint source, nuint index) => Vector128.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreU(Vector128<uint> value, ref uint destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> FusedMultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b).AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b).AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<uint> mask, Vector128<float> ifTrue, Vector128<float> ifFalse) => Vector128.ConditionalSelect(mask.AsSingle(), ifTrue, ifFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> AsBits(Vector128<float> a) => a.AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> FromBits(Vector128<uint> a) => a.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ConvertFromInt32(Vector128<uint> a) => Vector128.ConvertToSingle(a.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> SplatU(uint value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> AddU(Vector128<uint> a, Vector128<uint> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> SubtractU(Vector128<uint> a, Vector128<uint> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> AndU(Vector128<uint> a, Vector128<uint> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> OrU(Vector128<uint> a, Vector128<uint> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> XorU(Vector128<uint> a, Vector128<uint> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> ShiftRightLogicalU(Vector128<uint> a, int count) => Vector128.ShiftRightLogical(a, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> ShiftLeftU(Vector128<uint> a, int count) => Vector128.ShiftLeft(a, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector128<uint> first, Vector128<uint> second, out Vector128<uint> even, out Vector128<uint> odd)
    {
        even = Vector128.Narrow(first.AsUInt64(), second.AsUInt64());
        odd = Vector128.Narrow(Vector128.ShiftRightLogical(first.AsUInt64(), 32), Vector128.ShiftRightLogical(second.AsUInt64(), 32));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector128<uint> even, Vector128<uint> odd, out Vector128<uint> first, out Vector128<uint> second)
    {
        first = (Vector128.WidenLower(even) | Vector128.ShiftLeft(Vector128.WidenLower(odd), 32)).AsUInt32();
        second = (Vector128.WidenUpper(even) | Vector128.ShiftLeft(Vector128.WidenUpper(odd), 32)).AsUInt32();
    }
}

/// <summary>Eight lanes (AVX2).</summary>
internal readonly struct Lanes256 : ILanes<Vector256<float>, Vector256<uint>>
{
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> LoadU(ref uint source, nuint index) => Vector256.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreU(Vector256<uint> value, ref uint destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b).AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b).AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<uint> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) => Vector256.ConditionalSelect(mask.AsSingle(), ifTrue, ifFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> AsBits(Vector256<float> a) => a.AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FromBits(Vector256<uint> a) => a.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ConvertFromInt32(Vector256<uint> a) => Vector256.ConvertToSingle(a.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> SplatU(uint value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> AddU(Vector256<uint> a, Vector256<uint> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> SubtractU(Vector256<uint> a, Vector256<uint> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> AndU(Vector256<uint> a, Vector256<uint> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> OrU(Vector256<uint> a, Vector256<uint> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> XorU(Vector256<uint> a, Vector256<uint> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> ShiftRightLogicalU(Vector256<uint> a, int count) => Vector256.ShiftRightLogical(a, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> ShiftLeftU(Vector256<uint> a, int count) => Vector256.ShiftLeft(a, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector256<uint> first, Vector256<uint> second, out Vector256<uint> even, out Vector256<uint> odd)
    {
        even = Vector256.Narrow(first.AsUInt64(), second.AsUInt64());
        odd = Vector256.Narrow(Vector256.ShiftRightLogical(first.AsUInt64(), 32), Vector256.ShiftRightLogical(second.AsUInt64(), 32));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector256<uint> even, Vector256<uint> odd, out Vector256<uint> first, out Vector256<uint> second)
    {
        first = (Vector256.WidenLower(even) | Vector256.ShiftLeft(Vector256.WidenLower(odd), 32)).AsUInt32();
        second = (Vector256.WidenUpper(even) | Vector256.ShiftLeft(Vector256.WidenUpper(odd), 32)).AsUInt32();
    }
}

/// <summary>Sixteen lanes (AVX-512).</summary>
internal readonly struct Lanes512 : ILanes<Vector512<float>, Vector512<uint>>
{
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> LoadU(ref uint source, nuint index) => Vector512.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreU(Vector512<uint> value, ref uint destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b).AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b).AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<uint> mask, Vector512<float> ifTrue, Vector512<float> ifFalse) => Vector512.ConditionalSelect(mask.AsSingle(), ifTrue, ifFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> AsBits(Vector512<float> a) => a.AsUInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> FromBits(Vector512<uint> a) => a.AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ConvertFromInt32(Vector512<uint> a) => Vector512.ConvertToSingle(a.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> SplatU(uint value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> AddU(Vector512<uint> a, Vector512<uint> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> SubtractU(Vector512<uint> a, Vector512<uint> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> AndU(Vector512<uint> a, Vector512<uint> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> OrU(Vector512<uint> a, Vector512<uint> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> XorU(Vector512<uint> a, Vector512<uint> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> ShiftRightLogicalU(Vector512<uint> a, int count) => Vector512.ShiftRightLogical(a, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> ShiftLeftU(Vector512<uint> a, int count) => Vector512.ShiftLeft(a, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(Vector512<uint> first, Vector512<uint> second, out Vector512<uint> even, out Vector512<uint> odd)
    {
        even = Vector512.Narrow(first.AsUInt64(), second.AsUInt64());
        odd = Vector512.Narrow(Vector512.ShiftRightLogical(first.AsUInt64(), 32), Vector512.ShiftRightLogical(second.AsUInt64(), 32));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector512<uint> even, Vector512<uint> odd, out Vector512<uint> first, out Vector512<uint> second)
    {
        first = (Vector512.WidenLower(even) | Vector512.ShiftLeft(Vector512.WidenLower(odd), 32)).AsUInt32();
        second = (Vector512.WidenUpper(even) | Vector512.ShiftLeft(Vector512.WidenUpper(odd), 32)).AsUInt32();
    }
}
