using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenDsl.Numerics;

/// <summary>
/// A unary float function as an operator struct (TensorPrimitives style): the same function at every
/// width, each lane bit-identical to the scalar overload. <see cref="Elementwise.Apply{TOp}(ReadOnlySpan{float}, Span{float}, TOp)"/>
/// is generic over it, so the JIT specialises and inlines the function into the loop.
/// </summary>
public interface IUnaryOp
{
    float Invoke(float x);
    Vector128<float> Invoke(Vector128<float> x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>y = e^x (<see cref="VecMath.Exp(float)"/>).</summary>
public readonly struct ExpOp : IUnaryOp
{
    public float Invoke(float x) => VecMath.Exp(x);
    public Vector128<float> Invoke(Vector128<float> x) => VecMath.Exp(x);
    public Vector256<float> Invoke(Vector256<float> x) => VecMath.Exp(x);
    public Vector512<float> Invoke(Vector512<float> x) => VecMath.Exp(x);
}

/// <summary>y = ln x (<see cref="VecMath.Log(float)"/>).</summary>
public readonly struct LogOp : IUnaryOp
{
    public float Invoke(float x) => VecMath.Log(x);
    public Vector128<float> Invoke(Vector128<float> x) => VecMath.Log(x);
    public Vector256<float> Invoke(Vector256<float> x) => VecMath.Log(x);
    public Vector512<float> Invoke(Vector512<float> x) => VecMath.Log(x);
}

/// <summary>y = log σ(x) = −softplus(−x) (<see cref="VecMath.LogSigmoid(float)"/>).</summary>
public readonly struct LogSigmoidOp : IUnaryOp
{
    public float Invoke(float x) => VecMath.LogSigmoid(x);
    public Vector128<float> Invoke(Vector128<float> x) => VecMath.LogSigmoid(x);
    public Vector256<float> Invoke(Vector256<float> x) => VecMath.LogSigmoid(x);
    public Vector512<float> Invoke(Vector512<float> x) => VecMath.LogSigmoid(x);
}

/// <summary>Adapts any activation operator struct (its <c>Forward</c>) to <see cref="IUnaryOp"/>,
/// e.g. <c>new ActivationForwardOp&lt;LeakyReluOp&gt;(new LeakyReluOp(0.2f))</c>.</summary>
public readonly struct ActivationForwardOp<TAct> : IUnaryOp where TAct : struct, IActivationOp
{
    private readonly TAct _act;

    /// <summary>Wraps <paramref name="act"/> (which may carry a parameter such as a slope).</summary>
    public ActivationForwardOp(TAct act) => _act = act;

    public float Invoke(float x) => _act.Forward(x);
    public Vector128<float> Invoke(Vector128<float> x) => _act.Forward(x);
    public Vector256<float> Invoke(Vector256<float> x) => _act.Forward(x);
    public Vector512<float> Invoke(Vector512<float> x) => _act.Forward(x);
}

/// <summary>
/// Element-wise functions on spans: y[i] = f(x[i]). One generic driver (<see cref="Apply{TOp}(ReadOnlySpan{float}, Span{float}, TOp)"/>)
/// dispatches on <see cref="Simd.Width"/>; the tail that does not fill a vector is done with narrower
/// vectors and then scalar code, which give the same bits. The output y may be the very same
/// memory as x (in place); any other overlap is rejected. Allocation-free.
/// </summary>
public static class Elementwise
{
    /// <summary>y[i] = e^x[i].</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Apply(x, y, default(ExpOp));

    /// <summary>y[i] = ln x[i] (−∞ at 0, NaN for negatives).</summary>
    public static void Log(ReadOnlySpan<float> x, Span<float> y) => Apply(x, y, default(LogOp));

    /// <summary>y[i] = tanh x[i].</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Apply(x, y, new ActivationForwardOp<TanhOp>());

    /// <summary>y[i] = 1 / (1 + e^(−x[i])).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Apply(x, y, new ActivationForwardOp<SigmoidOp>());

    /// <summary>y[i] = ln(1 + e^x[i]), stable for large |x|.</summary>
    public static void Softplus(ReadOnlySpan<float> x, Span<float> y) => Apply(x, y, new ActivationForwardOp<SoftplusOp>());

    /// <summary>y[i] = log σ(x[i]) = −softplus(−x[i]), stable for large |x| (log σ(−200) = −200).</summary>
    public static void LogSigmoid(ReadOnlySpan<float> x, Span<float> y) => Apply(x, y, default(LogSigmoidOp));

    /// <summary>y[i] = f(x[i]) for an operator struct without parameters (e.g. <c>Apply&lt;ExpOp&gt;(x, y)</c>).</summary>
    public static void Apply<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOp =>
        Apply(x, y, default(TOp));

    /// <summary>y[i] = <paramref name="op"/>(x[i]). <paramref name="y"/> must have x's length; it may be x itself.</summary>
    public static void Apply<TOp>(ReadOnlySpan<float> x, Span<float> y, TOp op) where TOp : struct, IUnaryOp
    {
        CheckSameLengthNoPartialOverlap(x, y);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length;
        nuint i = 0;
        SimdWidth w = Simd.Width;
        // Each vector is loaded before its own store, and x and y are either identical or disjoint,
        // so in-place use is safe.
        if (w == SimdWidth.V512)
            for (; i + 16 <= n; i += 16)
                Vector512.StoreUnsafe(op.Invoke(Vector512.LoadUnsafe(ref xr, i)), ref yr, i);
        if (w >= SimdWidth.V256)
            for (; i + 8 <= n; i += 8)
                Vector256.StoreUnsafe(op.Invoke(Vector256.LoadUnsafe(ref xr, i)), ref yr, i);
        if (w >= SimdWidth.V128)
            for (; i + 4 <= n; i += 4)
                Vector128.StoreUnsafe(op.Invoke(Vector128.LoadUnsafe(ref xr, i)), ref yr, i);
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = op.Invoke(Unsafe.Add(ref xr, i));
    }

    private static void CheckSameLengthNoPartialOverlap(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != y.Length)
            ThrowLengthMismatch(x.Length, y.Length);
        if (x.Overlaps(y, out int offset) && offset != 0)
            ThrowPartialOverlap(offset);
    }

    private static void ThrowLengthMismatch(int xLength, int yLength) =>
        throw new ArgumentException(
            $"Output length {yLength} differs from input length {xLength}; pass an output span y of length {xLength} (x.Length).", "y");

    private static void ThrowPartialOverlap(int offset) =>
        throw new ArgumentException(
            $"Output y overlaps input x shifted by {offset} elements; pass either the same span (in place) or a separate buffer.", "y");
}
