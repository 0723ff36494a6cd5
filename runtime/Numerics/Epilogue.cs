namespace GenDsl.Numerics;

/// <summary>
/// What a GEMM does to each element of C after the product, in the same pass that writes it:
/// <c>c = act(alpha·acc + beta·c_old + bias[col])</c>, where <c>acc</c> is the full dot product over K.
/// </summary>
/// <remarks>
/// The operations are done in this order and rounded to float after each step, identically at every
/// vector width: <c>v = alpha·acc</c> (skipped when alpha = 1, which is exact anyway);
/// <c>v = fma(beta, c_old, v)</c> (skipped when beta = 0 — C's old contents are then never read, so
/// NaN garbage in C is harmless); <c>v = v + bias[col]</c> (when a bias is given); <c>c = act(v)</c>.
/// </remarks>
public readonly ref struct Epilogue
{
    /// <summary>An epilogue with a per-column bias (length N) followed by an activation.</summary>
    /// <param name="bias">One value per column of C, added after the product; empty for none.</param>
    /// <param name="activation">The activation applied last.</param>
    /// <param name="leakySlope">The slope for negative inputs when <paramref name="activation"/> is LeakyRelu.</param>
    public Epilogue(ReadOnlySpan<float> bias, Activation activation = Activation.Identity, float leakySlope = 0.2f)
    {
        Bias = bias;
        Activation = activation;
        LeakySlope = leakySlope;
    }

    /// <summary>An epilogue that applies only an activation (no bias).</summary>
    public Epilogue(Activation activation, float leakySlope = 0.2f)
        : this(ReadOnlySpan<float>.Empty, activation, leakySlope)
    {
    }

    /// <summary>No bias, identity activation: plain <c>C = alpha·op(A)·op(B) + beta·C</c>.</summary>
    public static Epilogue None => default;

    /// <summary>Per-column bias (length N), or empty.</summary>
    public ReadOnlySpan<float> Bias { get; }

    /// <summary>The activation applied to each element last.</summary>
    public Activation Activation { get; }

    /// <summary>LeakyReLU's slope for negative inputs (ignored by other activations).</summary>
    public float LeakySlope { get; }
}
