namespace GenDsl;

/// <summary>
/// Stochastic gradient descent with exactly the update of <c>torch.optim.SGD</c> (dampening 0): per element,
/// <code>
/// g ← g + λ·p                 (weight decay λ, through the gradient)
/// b ← μ·b + g                 (momentum μ &gt; 0; b = g on the first step)
/// g ← g + μ·b  if Nesterov, else g ← b
/// p ← p − lr·g
/// </code>
/// One fused, vectorised pass per step; the momentum buffer is the only state.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly Arena _buffer;

    /// <summary>Creates the optimizer (and, when <paramref name="momentum"/> &gt; 0, its zeroed momentum buffer).</summary>
    public Sgd(IParameterized target, float learningRate, float momentum = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(target)
    {
        CheckHyperValue(learningRate, 0f, float.MaxValue, true, nameof(learningRate), "it must be finite and ≥ 0 (typical: 1e-3 to 1e-1).");
        CheckHyperValue(momentum, 0f, float.MaxValue, true, nameof(momentum), "it must be finite and ≥ 0 (typical: 0.9).");
        CheckHyperValue(weightDecay, 0f, float.MaxValue, true, nameof(weightDecay), "it must be finite and ≥ 0 (typical: 0 to 1e-3).");
        if (nesterov && momentum == 0f)
            throw new ArgumentException("Nesterov momentum needs a momentum > 0 (for example momentum: 0.9).", nameof(nesterov));
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _buffer = new Arena(momentum > 0f ? ParameterCount : 0);
    }

    /// <summary>Momentum factor μ (0 = plain SGD).</summary>
    public float Momentum { get; }
    /// <summary>L2 penalty coefficient λ.</summary>
    public float WeightDecay { get; }
    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }

    /// <summary>The momentum buffer (empty without momentum).</summary>
    public Span<float> MomentumBuffer => _buffer.Span;

    /// <summary>The momentum buffer; see <see cref="Optimizer.State"/>.</summary>
    public override Span<float> State => _buffer.Span;

    /// <inheritdoc/>
    public override void Step()
    {
        float scale = BeginStep();
        var scalars = new SgdScalars
        {
            GradScale = scale,
            WriteBackGradient = scale != 1f,
            WeightDecay = WeightDecay,
            Momentum = Momentum,
            UseMomentum = Momentum > 0f,
            Nesterov = Nesterov,
            NegativeLearningRate = -LearningRate,
        };
        OptimKernels.Sgd(Parameters.Span, Gradients.Span, _buffer.Span, scalars);
    }
}
