using System.Runtime.Intrinsics;

namespace GenDsl.Numerics;

/// <summary>
/// An activation as an operator struct (TensorPrimitives style): the same function at every width,
/// lane-for-lane bit-identical to the scalar overload. Generic kernels take <c>TAct : struct, IActivationOp</c>
/// so the JIT specialises and inlines them; a struct may carry a parameter (LeakyReLU's slope).
/// </summary>
public interface IActivationOp
{
    /// <summary>y = f(x).</summary>
    float Forward(float x);
    Vector128<float> Forward(Vector128<float> x);
    Vector256<float> Forward(Vector256<float> x);
    Vector512<float> Forward(Vector512<float> x);

    /// <summary>f′(x) written in terms of the output y = f(x) (what the backward pass keeps).</summary>
    float DerivativeFromOutput(float y);
    Vector128<float> DerivativeFromOutput(Vector128<float> y);
    Vector256<float> DerivativeFromOutput(Vector256<float> y);
    Vector512<float> DerivativeFromOutput(Vector512<float> y);
}

/// <summary>f(x) = x.</summary>
public readonly struct IdentityOp : IActivationOp
{
    public float Forward(float x) => x;
    public Vector128<float> Forward(Vector128<float> x) => x;
    public Vector256<float> Forward(Vector256<float> x) => x;
    public Vector512<float> Forward(Vector512<float> x) => x;
    public float DerivativeFromOutput(float y) => 1f;
    public Vector128<float> DerivativeFromOutput(Vector128<float> y) => Vector128<float>.One;
    public Vector256<float> DerivativeFromOutput(Vector256<float> y) => Vector256<float>.One;
    public Vector512<float> DerivativeFromOutput(Vector512<float> y) => Vector512<float>.One;
}

/// <summary>
/// f(x) = max(x, 0), written as x ≤ 0 ? 0 : x so that a NaN input propagates (NaN ≤ 0 is false) with
/// the same bits at every width, and −0 maps to +0; f′ = 1 where y &gt; 0, else 0.
/// </summary>
public readonly struct ReluOp : IActivationOp
{
    public float Forward(float x) => x <= 0f ? 0f : x;
    public Vector128<float> Forward(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.LessThanOrEqual(x, Vector128<float>.Zero), Vector128<float>.Zero, x);
    public Vector256<float> Forward(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
    public Vector512<float> Forward(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.Zero, x);
    public float DerivativeFromOutput(float y) => y > 0f ? 1f : 0f;
    public Vector128<float> DerivativeFromOutput(Vector128<float> y) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), Vector128<float>.One, Vector128<float>.Zero);
    public Vector256<float> DerivativeFromOutput(Vector256<float> y) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero);
    public Vector512<float> DerivativeFromOutput(Vector512<float> y) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero);
}
