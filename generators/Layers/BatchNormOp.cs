using System.Collections.Generic;
using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Layers;

/// <summary>
/// <c>[BatchNorm(Activation = Identity)]</c>: y = act(γ ⊙ (x − μ)/√(σ² + ε) + β) per channel (per feature
/// of a vector), as torch.nn.BatchNorm2d/1d with momentum 0.1 and ε = 1e-5. Training passes use the
/// batch's mean and biased variance and update "running_mean" and "running_var" (unbiased), which
/// evaluation passes use; γ ("weight") starts at 1, β ("bias") at 0. Kernels: BatchNormKernels.
/// </summary>
internal sealed class BatchNormOp : Op
{
    private static readonly OpArgument[] s_arguments =
    {
        ActivationArgument(true, 0),
    };

    public override string Name => "BatchNorm";
    public override IReadOnlyList<OpArgument> Arguments => s_arguments;
    public override bool UsesTrainingFlag => true;
    public override int ActivationOf(OpSpec spec) => spec[0];

    protected override ShapeResult OutShape(OpSpec spec, Shape input, string member) => ShapeResult.Ok(input);

    public override IEnumerable<TensorDecl> Tensors(OpNode node)
    {
        int c = node.In.C;
        yield return new TensorDecl("Gamma", "weight", new[] { c });
        yield return new TensorDecl("Beta", "bias", new[] { c });
        yield return new TensorDecl("RunMean", "running_mean", new[] { c }, IsBuffer: true);
        yield return new TensorDecl("RunVar", "running_var", new[] { c }, IsBuffer: true);
    }

    public override IEnumerable<ExtraSlice> Extras(OpNode node)
    {
        yield return new ExtraSlice("mean", node.In.C, false, "batch mean per channel (saved for backward)");
        yield return new ExtraSlice("invStd", node.In.C, false, "1/√(batch variance + ε) per channel (saved for backward)");
    }

    public override void EmitInit(SourceWriter w, OpNode node)
    {
        int c = node.In.C;
        w.Line($"p.Slice({node.Const("Gamma")}, {c}).Fill(1f); // {node.Tensors[0].Name} = 1 ({node.Tensors[1].Name} = 0)");
        w.Line($"_buffers.Span.Slice({node.Const("RunMean")}, {c}).Clear(); // {node.Tensors[2].Name} = 0");
        w.Line($"_buffers.Span.Slice({node.Const("RunVar")}, {c}).Fill(1f); // {node.Tensors[3].Name} = 1");
    }

    public override string Describe(OpNode node) =>
        $"{node.OutName} = {Apply(node.Activation, $"γ{node.Index} ⊙ ({node.InName} − μ)/√(σ² + ε) + β{node.Index}")}";

    public override void EmitOnnx(SourceWriter w, OpNode node, OnnxContext context)
    {
        string g = context.Builder, name = context.ValueName;
        int act = node.Activation;
        w.Line($"// {name}: {node.Describe()} with the running μ, σ² (inference form), ε = 1e-5   {node.In}");
        w.Line($"var {context.Output} = {g}.BatchNormalization({Lit.Str(act == 0 ? name : name + ".bn")}, {context.Input},");
        w.Line($"    {OnnxInitializer(node, context, "Gamma")},");
        w.Line($"    {OnnxInitializer(node, context, "Beta")},");
        w.Line($"    {OnnxInitializer(node, context, "RunMean")},");
        w.Line($"    {OnnxInitializer(node, context, "RunVar")},");
        w.Line("    epsilon: BatchNormKernels.DefaultEps);");
        if (act != 0)
            w.Line($"{context.Output} = {g}.Activation({Lit.Str(name)}, {context.Output}, Activation.{ActivationNames[act]});");
    }

    private static string P(OpNode node, string kind, string arena = "_parameters") => $"{arena}.Span.Slice({node.Const(kind)}, {node.In.C})";
    private static string F(OpNode node, string suffix) => $"_activations.Span.Slice({node.Field(suffix)}, {node.In.C})";

    public override void EmitForward(SourceWriter w, OpNode node, ForwardContext context)
    {
        string rows = context.Rows;
        int c = node.In.C, size = node.In.Size;
        string act = ActivationNames[node.Activation];
        w.Line($"// {node.Describe()}   {c} channels{(node.In.IsVector ? "" : $" of {node.In.H}×{node.In.W}")}; μ, σ² of the batch in training, the running ones otherwise");
        w.Line($"if ({context.Training})");
        w.Line($"    BatchNormKernels.ForwardTraining(Act({node.InputField}, {rows}, {size}), {c}, {P(node, "Gamma")}, {P(node, "Beta")}, Act({node.OutputField}, {rows}, {size}), {F(node, "mean")}, {F(node, "invStd")}, {P(node, "RunMean", "_buffers")}, {P(node, "RunVar", "_buffers")}, activation: Activation.{act}, pool: _pool);");
        w.Line("else");
        w.Line($"    BatchNormKernels.ForwardInference(Act({node.InputField}, {rows}, {size}), {c}, {P(node, "Gamma")}, {P(node, "Beta")}, {P(node, "RunMean", "_buffers")}, {P(node, "RunVar", "_buffers")}, BatchNormKernels.DefaultEps, Act({node.OutputField}, {rows}, {size}), Activation.{act}, 0.2f, _pool);");
    }

    public override void EmitBackward(SourceWriter w, OpNode node, BackwardContext context)
    {
        string rows = context.Rows;
        int c = node.In.C, size = node.In.Size, act = node.Activation;
        w.Line($"var gy = Act({context.GradOutput}, {rows}, {size});");
        if (act != 0)
            w.Line($"Conv2d.ActivationBackward(gy, Act({node.OutputField}, {rows}, {size}), Activation.{ActivationNames[act]}, 0.2f, {c}, Span<float>.Empty, accumulate: false, _pool); // ∂L/∂(normalised) = ∂L/∂y ⊙ f′(y)");
        string gx = context.GradInput is null ? "gy" : $"Act({context.GradInput}, {rows}, {size})";
        string gGamma = context.ParameterGradients ? P(node, "Gamma", "_gradients") : "Span<float>.Empty";
        string gBeta = context.ParameterGradients ? P(node, "Beta", "_gradients") : "Span<float>.Empty";
        w.Line($"// ∂L/∂x = γ·invStd/N·(N·gy − Σgy − x̂·Σ(gy·x̂)); ∂L/∂γ = Σ gy·x̂; ∂L/∂β = Σ gy (batch statistics of the forward pass)");
        w.Line($"BatchNormKernels.Backward(gy, Act({node.InputField}, {rows}, {size}), {c}, {P(node, "Gamma")}, {F(node, "mean")}, {F(node, "invStd")}, {gx}, {gGamma}, {gBeta}, accumulate: false, _pool);");
    }

    // ---- PyTorch export: F.batch_norm with momentum 0.1, ε = 1e-5 (nn.BatchNorm1d/2d's), without num_batches_tracked.
    protected override string PyTorchInitial(OpNode node, TensorDecl tensor) =>
        tensor.Kind is "Gamma" or "RunVar" ? $"torch.ones({PyShape(tensor.Shape)})" : base.PyTorchInitial(node, tensor);

    public override string? PyTorchForward(OpNode node, string module, string x)
    {
        string shaped = node.In.IsVector ? $"{x}.reshape(-1, {node.In.C})" : $"{x}.reshape(-1, {node.In.C}, {node.In.H}, {node.In.W})";
        return PyActivation(node.Activation, $"F.batch_norm({shaped}, {module}.running_mean, {module}.running_var, {module}.weight, {module}.bias, training, 0.1, 1e-5)");
    }
}
