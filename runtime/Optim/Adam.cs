namespace GenDsl;

/// <summary>
/// Adam (Kingma and Ba, 2015) with exactly the update of <c>torch.optim.Adam</c> (amsgrad off), including its
/// L2-coupled weight decay: per element, at step t,
/// <code>
/// g ← g + λ·p                       (only when weightDecay λ &gt; 0: decay through the gradient)
/// m ← m + (1 − β₁)(g − m)           first moment  (= β₁m + (1 − β₁)g)
/// v ← β₂·v + (1 − β₂)·g²            second moment
/// p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// The bias corrections are computed in double and rounded once; the element update is one fused,
/// vectorised pass (bit-identical at every <see cref="GenDsl.Numerics.Simd.Width"/>).
/// For decay that is not scaled by Adam's adaptive denominator, use <see cref="AdamW"/>.
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly AdamState _state;

    /// <summary>Creates the optimizer and its zeroed moment buffers (the only allocation).</summary>
    public Adam(IParameterized target, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0f)
        : base(target)
    {
        AdamState.Validate(learningRate, beta1, beta2, epsilon, weightDecay);
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _state = new AdamState(ParameterCount);
    }

    /// <summary>Decay rate of the first moment.</summary>
    public float Beta1 { get; }
    /// <summary>Decay rate of the second moment.</summary>
    public float Beta2 { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public float Epsilon { get; }
    /// <summary>L2 penalty coefficient λ (added to the gradient as λ·p).</summary>
    public float WeightDecay { get; }

    /// <summary>The first moments m (exp_avg in torch).</summary>
    public Span<float> ExpAvg => _state.ExpAvg;
    /// <summary>The second moments v (exp_avg_sq in torch).</summary>
    public Span<float> ExpAvgSq => _state.ExpAvgSq;

    /// <summary>[m | zero padding to 64 bytes | v]; see <see cref="Optimizer.State"/>.</summary>
    public override Span<float> State => _state.All;

    /// <inheritdoc/>
    public override void Step()
    {
        float scale = BeginStep();
        _state.Step(Parameters.Span, Gradients.Span, scale, StepCount, LearningRate, Beta1, Beta2, Epsilon,
            coupledDecay: WeightDecay, decoupledFactor: 1f, Pool);
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter, 2019) with exactly the update of <c>torch.optim.AdamW</c>: the weight decay is
/// decoupled from the gradient — the parameters shrink by the factor (1 − lr·λ) before the Adam step:
/// <code>
/// p ← p·(1 − lr·λ)
/// m ← m + (1 − β₁)(g − m);   v ← β₂·v + (1 − β₂)·g²
/// p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// Default λ = 0.01 as in torch. One fused, vectorised pass per step.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly AdamState _state;

    /// <summary>Creates the optimizer and its zeroed moment buffers (the only allocation).</summary>
    public AdamW(IParameterized target, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(target)
    {
        AdamState.Validate(learningRate, beta1, beta2, epsilon, weightDecay);
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _state = new AdamState(ParameterCount);
    }

    /// <summary>Decay rate of the first moment.</summary>
    public float Beta1 { get; }
    /// <summary>Decay rate of the second moment.</summary>
    public float Beta2 { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public float Epsilon { get; }
    /// <summary>Decoupled weight decay λ (parameters shrink by lr·λ per step).</summary>
    public float WeightDecay { get; }

    /// <summary>The first moments m (exp_avg in torch).</summary>
    public Span<float> ExpAvg => _state.ExpAvg;
    /// <summary>The second moments v (exp_avg_sq in torch).</summary>
    public Span<float> ExpAvgSq => _state.ExpAvgSq;

    /// <summary>[m | zero padding to 64 bytes | v]; see <see cref="Optimizer.State"/>.</summary>
    public override Span<float> State => _state.All;

    /// <inheritdoc/>
    public override void Step()
    {
        float scale = BeginStep();
        // torch: param.mul_(1 - lr * weight_decay), the factor computed in double.
        float factor = (float)(1.0 - (double)LearningRate * WeightDecay);
        _state.Step(Parameters.Span, Gradients.Span, scale, StepCount, LearningRate, Beta1, Beta2, Epsilon,
            coupledDecay: 0f, decoupledFactor: factor, Pool);
    }
}

/// <summary>The moment buffers and the per-step scalars shared by <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
internal sealed class AdamState
{
    private readonly Arena _arena;
    private readonly ArenaSlice _m, _v;

    public AdamState(int count)
    {
        var layout = new ArenaLayout();
        layout.Add("exp_avg", count);
        layout.Add("exp_avg_sq", count);
        _arena = new Arena(layout);
        _m = layout["exp_avg"];
        _v = layout["exp_avg_sq"];
    }

    public Span<float> ExpAvg => _arena.Slice(_m);
    public Span<float> ExpAvgSq => _arena.Slice(_v);
    public Span<float> All => _arena.Span.Slice(0, _v.End);

    public static void Validate(float learningRate, float beta1, float beta2, float epsilon, float weightDecay)
    {
        Optimizer.CheckHyperValue(learningRate, 0f, float.MaxValue, true, nameof(learningRate), "it must be finite and ≥ 0 (typical: 1e-4 to 1e-2).");
        Optimizer.CheckHyperValue(beta1, 0f, 1f, false, nameof(beta1), "it must be in [0, 1) (typical: 0.9; 0.5 for GANs).");
        Optimizer.CheckHyperValue(beta2, 0f, 1f, false, nameof(beta2), "it must be in [0, 1) (typical: 0.999).");
        Optimizer.CheckHyperValue(epsilon, 0f, float.MaxValue, true, nameof(epsilon), "it must be finite and ≥ 0 (typical: 1e-8).");
        Optimizer.CheckHyperValue(weightDecay, 0f, float.MaxValue, true, nameof(weightDecay), "it must be finite and ≥ 0 (typical: 0 to 0.1).");
    }

    public void Step(Span<float> parameters, Span<float> gradients, float gradScale, long step, float learningRate,
        float beta1, float beta2, float epsilon, float coupledDecay, float decoupledFactor, Threading.WorkerPool? pool)
    {
        // Bias corrections as torch computes them: in double, from the step count t ≥ 1.
        double biasCorrection1 = 1.0 - Math.Pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.Pow(beta2, step);
        var scalars = new AdamScalars
        {
            GradScale = gradScale,
            WriteBackGradient = gradScale != 1f,
            CoupledDecay = coupledDecay,
            DecoupledFactor = decoupledFactor,
            OneMinusBeta1 = (float)(1.0 - beta1),
            Beta2 = beta2,
            OneMinusBeta2 = (float)(1.0 - beta2),
            BiasCorrection2Sqrt = (float)Math.Sqrt(biasCorrection2),
            Epsilon = epsilon,
            NegativeStepSize = (float)(-learningRate / biasCorrection1),
        };
        OptimKernels.Adam(parameters, gradients, ExpAvg, ExpAvgSq, scalars, pool);
    }
}
