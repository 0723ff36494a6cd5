namespace GenDsl;

/// <summary>
/// Base of the optimizers: it captures the target's parameter and gradient memory once, holds the learning
/// rate and the step count, and does global-norm gradient clipping. Each <see cref="Step"/> is then one
/// fused, vectorised, allocation-free pass over parameters, gradients and optimizer state.
/// </summary>
/// <remarks>
/// <para>
/// Typical loop: forward + backward (which ACCUMULATES into the gradients), <see cref="Step"/>, then
/// <see cref="ZeroGrad"/> before the next backward (generated <c>TrainStep</c> methods do all of it).
/// </para>
/// <para>
/// Gradient clipping (<see cref="MaxGradNorm"/> &gt; 0) follows <c>torch.nn.utils.clip_grad_norm_</c>: the
/// global L2 norm ‖g‖ of all gradients is computed (in double, in a fixed order, so it is bit-identical at
/// every vector width), and if it exceeds the limit every gradient is multiplied by
/// <c>MaxGradNorm / (‖g‖ + 1e-6)</c> — in the same pass as the update, and written back so that the
/// gradients afterwards are the clipped ones. With clipping enabled, a NaN or infinite norm throws
/// <see cref="InvalidOperationException"/> before anything is modified (a diverged run fails loudly instead
/// of silently filling the parameters with NaN). With clipping disabled (the default) no norm is computed
/// and nothing is checked: the step stays a single pass.
/// </para>
/// </remarks>
public abstract class Optimizer
{
    private float _learningRate;
    private float _maxGradNorm;

    /// <summary>Captures <paramref name="target"/>'s parameters and gradients (they must stay at the same memory).</summary>
    protected Optimizer(IParameterized target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Memory<float> parameters = target.Parameters, gradients = target.Gradients;
        if (parameters.Length != gradients.Length)
            throw new ArgumentException(
                $"The target has {parameters.Length} parameters but {gradients.Length} gradients; they must correspond one to one.",
                nameof(target));
        if (parameters.Length == 0)
            throw new ArgumentException("The target has no parameters: there is nothing to optimise.", nameof(target));
        if (parameters.Span.Overlaps(gradients.Span))
            throw new ArgumentException("The target's parameters and gradients overlap in memory; they must be separate blocks.", nameof(target));
        Target = target;
        Pool = target.Pool;
        Parameters = parameters;
        Gradients = gradients;
        LastGradNorm = float.NaN;
    }

    /// <summary>What is being optimised.</summary>
    public IParameterized Target { get; }

    /// <summary>Number of parameters (= gradients).</summary>
    public int ParameterCount => Parameters.Length;

    /// <summary>The target's threads (<see cref="IParameterized.Pool"/>), used by updates large enough to split; null = this thread.</summary>
    protected Threading.WorkerPool? Pool { get; }

    /// <summary>The parameters captured at construction.</summary>
    protected Memory<float> Parameters { get; }

    /// <summary>The gradients captured at construction.</summary>
    protected Memory<float> Gradients { get; }

    /// <summary>Learning rate (≥ 0, finite); may be changed between steps (schedules).</summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!float.IsFinite(value) || value < 0f)
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value,
                    "The learning rate must be finite and ≥ 0 (typical values: 1e-4 to 1e-2 for Adam, 1e-3 to 1e-1 for SGD).");
            _learningRate = value;
        }
    }

    /// <summary>
    /// Largest allowed global L2 norm of the gradients; 0 (the default) disables clipping. When &gt; 0,
    /// <see cref="Step"/> first computes the norm, throws on NaN/∞, and scales the gradients down to this norm.
    /// </summary>
    public float MaxGradNorm
    {
        get => _maxGradNorm;
        set
        {
            if (!float.IsFinite(value) || value < 0f)
                throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), value,
                    "MaxGradNorm must be finite and ≥ 0 (0 disables clipping; 1 to 10 are common limits).");
            _maxGradNorm = value;
        }
    }

    /// <summary>Number of completed steps (t in the bias corrections of Adam).</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// The global gradient norm (before clipping) computed by the last <see cref="Step"/>; NaN if that step did
    /// not compute it (clipping disabled). Call <see cref="ComputeGradNorm"/> to monitor without clipping.
    /// </summary>
    public float LastGradNorm { get; private set; }

    /// <summary>
    /// Optimizer state as one span (moments, momentum buffers), for checkpoints: save it together with
    /// <see cref="StepCount"/>, restore by copying into it and calling <see cref="SetStepCount"/>.
    /// </summary>
    public abstract Span<float> State { get; }

    /// <summary>Applies one update to the parameters using the current gradients.</summary>
    public abstract void Step();

    /// <summary>Sets every gradient to zero (backward passes accumulate).</summary>
    public void ZeroGrad() => Gradients.Span.Clear();

    /// <summary>Restores the step count (from a checkpoint).</summary>
    public void SetStepCount(long stepCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        StepCount = stepCount;
    }

    /// <summary>The global L2 norm of the gradients, √Σg², summed in double in a fixed order (deterministic).</summary>
    public float ComputeGradNorm() => (float)Math.Sqrt(OptimKernels.SumOfSquares(Gradients.Span));

    /// <summary>
    /// Call at the start of <see cref="Step"/>: applies the clipping policy (may throw, before anything is
    /// modified), increments <see cref="StepCount"/> and returns the factor to multiply the gradients by
    /// (1 when not clipping).
    /// </summary>
    protected float BeginStep()
    {
        float scale = 1f;
        if (_maxGradNorm > 0f)
        {
            double norm = Math.Sqrt(OptimKernels.SumOfSquares(Gradients.Span));
            LastGradNorm = (float)norm;
            if (!double.IsFinite(norm))
                throw new InvalidOperationException(
                    $"The gradient norm is {(double.IsNaN(norm) ? "NaN" : "∞")} at step {StepCount + 1}: training has diverged or the data " +
                    "contains NaN/∞. Lower the learning rate, check the data, or lower MaxGradNorm. The parameters were not changed.");
            // As torch.nn.utils.clip_grad_norm_: coefficient max / (norm + 1e-6), clamped to 1.
            scale = (float)Math.Min(1.0, _maxGradNorm / (norm + 1e-6));
        }
        else
        {
            LastGradNorm = float.NaN;
        }
        StepCount++;
        return scale;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and within [min, max) (or [min, max] when <paramref name="maxInclusive"/>).</summary>
    internal static void CheckHyperValue(float value, float min, float max, bool maxInclusive, string name, string hint)
    {
        if (!float.IsFinite(value) || value < min || (maxInclusive ? value > max : value >= max))
            throw new ArgumentOutOfRangeException(name, value, $"{name} = {value} is out of range: {hint}");
    }
}
