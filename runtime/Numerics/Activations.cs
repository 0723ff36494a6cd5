using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenDsl.Numerics;

/// <summary>
/// Leaky ReLU: f(x) = x for x &gt; 0, <see cref="Slope"/>·x otherwise. Its derivative from the output is
/// 1 where y &gt; 0 and <see cref="Slope"/> elsewhere; that is only well defined because a positive
/// slope keeps the sign of y equal to the sign of x (so the constructor rejects slope ≤ 0).
/// </summary>
public readonly struct LeakyReluOp : IActivationOp
{
    /// <summary>The slope α used for x ≤ 0 (positive).</summary>
    public readonly float Slope;

    /// <summary>Creates the operator. <paramref name="slope"/> must be positive and finite (e.g. 0.2).</summary>
    public LeakyReluOp(float slope)
    {
        if (!(slope > 0f && slope < float.PositiveInfinity))
            ThrowBadSlope(slope);
        Slope = slope;
    }

    private static void ThrowBadSlope(float slope) =>
        throw new ArgumentOutOfRangeException(nameof(slope), slope,
            "LeakyReLU slope must be positive and finite (e.g. 0.2) so that the sign of the output identifies the branch; use ReluOp for slope 0.");

    public float Forward(float x) => x > 0f ? x : Slope * x;
    public Vector128<float> Forward(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, x * Vector128.Create(Slope));
    public Vector256<float> Forward(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * Vector256.Create(Slope));
    public Vector512<float> Forward(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * Vector512.Create(Slope));

    public float DerivativeFromOutput(float y) => y > 0f ? 1f : Slope;
    public Vector128<float> DerivativeFromOutput(Vector128<float> y) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), Vector128<float>.One, Vector128.Create(Slope));
    public Vector256<float> DerivativeFromOutput(Vector256<float> y) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), Vector256<float>.One, Vector256.Create(Slope));
    public Vector512<float> DerivativeFromOutput(Vector512<float> y) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), Vector512<float>.One, Vector512.Create(Slope));
}

/// <summary>
/// Hyperbolic tangent, f(x) = tanh x (accurate for tiny |x|, exactly ±1 for large |x|, see
/// <see cref="VecMath.Tanh(float)"/>); f′ = 1 − y², computed as one fused multiply-add.
/// </summary>
public readonly struct TanhOp : IActivationOp
{
    public float Forward(float x) => VecMath.Tanh(x);
    public Vector128<float> Forward(Vector128<float> x) => VecMath.Tanh(x);
    public Vector256<float> Forward(Vector256<float> x) => VecMath.Tanh(x);
    public Vector512<float> Forward(Vector512<float> x) => VecMath.Tanh(x);

    public float DerivativeFromOutput(float y) => MathF.FusedMultiplyAdd(-y, y, 1f);
    public Vector128<float> DerivativeFromOutput(Vector128<float> y) => Vector128.FusedMultiplyAdd(-y, y, Vector128<float>.One);
    public Vector256<float> DerivativeFromOutput(Vector256<float> y) => Vector256.FusedMultiplyAdd(-y, y, Vector256<float>.One);
    public Vector512<float> DerivativeFromOutput(Vector512<float> y) => Vector512.FusedMultiplyAdd(-y, y, Vector512<float>.One);
}

/// <summary>
/// Logistic sigmoid, f(x) = 1 / (1 + e^(−x)) (no overflow for any x, see <see cref="VecMath.Sigmoid(float)"/>);
/// f′ = y·(1 − y) (1 − y is exact for y ≥ ½, so the product has a single rounding).
/// </summary>
public readonly struct SigmoidOp : IActivationOp
{
    public float Forward(float x) => VecMath.Sigmoid(x);
    public Vector128<float> Forward(Vector128<float> x) => VecMath.Sigmoid(x);
    public Vector256<float> Forward(Vector256<float> x) => VecMath.Sigmoid(x);
    public Vector512<float> Forward(Vector512<float> x) => VecMath.Sigmoid(x);

    public float DerivativeFromOutput(float y) => y * (1f - y);
    public Vector128<float> DerivativeFromOutput(Vector128<float> y) => y * (Vector128<float>.One - y);
    public Vector256<float> DerivativeFromOutput(Vector256<float> y) => y * (Vector256<float>.One - y);
    public Vector512<float> DerivativeFromOutput(Vector512<float> y) => y * (Vector512<float>.One - y);
}

/// <summary>
/// Softplus, f(x) = ln(1 + e^x) computed as max(x, 0) + log1p(e^(−|x|)) (see <see cref="VecMath.Softplus(float)"/>).
/// f′(x) = σ(x), and from the output: σ = 1 − e^(−y), computed as −expm1(−y) so it stays accurate
/// (relative error) when y is tiny (x ≪ 0), where 1 − e^(−y) would round to 0.
/// </summary>
public readonly struct SoftplusOp : IActivationOp
{
    public float Forward(float x) => VecMath.Softplus(x);
    public Vector128<float> Forward(Vector128<float> x) => VecMath.Softplus(x);
    public Vector256<float> Forward(Vector256<float> x) => VecMath.Softplus(x);
    public Vector512<float> Forward(Vector512<float> x) => VecMath.Softplus(x);

    public float DerivativeFromOutput(float y) => -VecMath.Expm1(-y);
    public Vector128<float> DerivativeFromOutput(Vector128<float> y) => -VecMath.Expm1(-y);
    public Vector256<float> DerivativeFromOutput(Vector256<float> y) => -VecMath.Expm1(-y);
    public Vector512<float> DerivativeFromOutput(Vector512<float> y) => -VecMath.Expm1(-y);
}

/// <summary>
/// Scalar convenience versions of every <see cref="Activation"/> (for tests, reference code and
/// one-off evaluations; kernels use the operator structs). Results are bit-identical to the structs.
/// </summary>
public static class ActivationFunctions
{
    /// <summary>f(x) for activation <paramref name="a"/>; <paramref name="leakySlope"/> is used only by LeakyRelu (must then be &gt; 0).</summary>
    public static float Apply(Activation a, float x, float leakySlope = 0.2f) => a switch
    {
        Activation.Identity => new IdentityOp().Forward(x),
        Activation.Relu => new ReluOp().Forward(x),
        Activation.LeakyRelu => new LeakyReluOp(leakySlope).Forward(x),
        Activation.Tanh => new TanhOp().Forward(x),
        Activation.Sigmoid => new SigmoidOp().Forward(x),
        Activation.Softplus => new SoftplusOp().Forward(x),
        _ => throw UnknownActivation(a),
    };

    /// <summary>f′(x) expressed through the output y = f(x), for activation <paramref name="a"/>.</summary>
    public static float DerivativeFromOutput(Activation a, float y, float leakySlope = 0.2f) => a switch
    {
        Activation.Identity => new IdentityOp().DerivativeFromOutput(y),
        Activation.Relu => new ReluOp().DerivativeFromOutput(y),
        Activation.LeakyRelu => new LeakyReluOp(leakySlope).DerivativeFromOutput(y),
        Activation.Tanh => new TanhOp().DerivativeFromOutput(y),
        Activation.Sigmoid => new SigmoidOp().DerivativeFromOutput(y),
        Activation.Softplus => new SoftplusOp().DerivativeFromOutput(y),
        _ => throw UnknownActivation(a),
    };

    private static ArgumentOutOfRangeException UnknownActivation(Activation a) =>
        new(nameof(a), a, $"Unknown activation {(int)a}; expected one of {string.Join(", ", Enum.GetNames<Activation>())}.");
}
