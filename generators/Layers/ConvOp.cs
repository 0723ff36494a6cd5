using System.Collections.Generic;
using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Layers;

/// <summary>
/// <c>[Conv(channels, kernel, Stride = 1, Padding = 0, Activation = Relu)]</c>: y = act(conv(x, W) + b)
/// as torch.nn.Conv2d, W [out, in, k, k] ("weight"), b [out] ("bias"), both U(±1/√(in·k·k)) like torch's
/// default. Output side ⌊(side + 2·Padding − kernel)/Stride⌋ + 1, required to divide exactly. Kernels:
/// GenDsl.Numerics.Conv2d (im2col into the packed GEMM, bias and activation fused).
/// </summary>
internal sealed class ConvOp : Op
{
    private static readonly OpArgument[] s_arguments =
    {
        new("channels", false, 0, 1, Limits.MaxSize, "number of output channels"),
        new("kernel", false, 0, 1, Limits.MaxKernel, "kernel side"),
        new("Stride", true, 1, 1, Limits.MaxKernel, "stride"),
        new("Padding", true, 0, 0, Limits.MaxKernel, "padding"),
        ActivationArgument(true, 1),
    };

    /// <summary>A [Conv(channels, kernel, Stride = stride, Padding = padding, Activation = activation)] spec (flows' convolutional couplings).</summary>
    public static OpSpec Make(int channels, int kernel, int stride, int padding, int activation) =>
        new("Conv", new[] { channels, kernel, stride, padding, activation }.ToEquatableArray());

    public override string Name => "Conv";
    public override string MemberType => "Conv";
    public override IReadOnlyList<OpArgument> Arguments => s_arguments;
    public override bool MakesImage => true;
    public override int ActivationOf(OpSpec spec) => spec[4];

    protected override ShapeResult OutShape(OpSpec spec, Shape input, string member)
    {
        int k = spec[1], s = spec[2], p = spec[3];
        string hint = input.IsVector && input.C > 1
            ? $" Its input {input} is a vector: declare the model's Channels, Height and Width, or put an [Unflatten(c, h, w)] before '{member}'."
            : "";
        if (input.H + 2L * p < k || input.W + 2L * p < k)
            return ShapeResult.Fail($"Layer '{member}' has [Conv] with kernel {k}, larger than its input {input} padded by {p} ({input.H + 2 * p}×{input.W + 2 * p}): use a kernel of at most {System.Math.Min(input.H, input.W) + 2 * p} or more padding.{hint}", "kernel");
        if ((input.H + 2 * p - k) % s != 0 || (input.W + 2 * p - k) % s != 0)
            return ShapeResult.Fail($"Layer '{member}' has [Conv] with kernel {k}, stride {s}, padding {p} on {input}: (side + 2·{p} − {k})/{s} = ({input.H + 2 * p - k}/{s}, {input.W + 2 * p - k}/{s}) is not an integer, so the last rows or columns would be dropped: change the padding or the stride{Suggest(input, k, s, p)}", "Padding");
        int oh = (input.H + 2 * p - k) / s + 1, ow = (input.W + 2 * p - k) / s + 1;
        return ShapeResult.Ok(new Shape(spec[0], oh, ow));
    }

    /// <summary>"; Padding = 1 fits" when some padding in 0…kernel makes the size divide, else "".</summary>
    private static string Suggest(Shape input, int k, int s, int p)
    {
        for (int q = 0; q <= k; q++)
            if (q != p && input.H + 2 * q >= k && input.W + 2 * q >= k && (input.H + 2 * q - k) % s == 0 && (input.W + 2 * q - k) % s == 0)
                return $" (Padding = {q} fits)";
        return "";
    }

    public override IEnumerable<TensorDecl> Tensors(OpNode node)
    {
        yield return new TensorDecl("W", "weight", new[] { node.Out.C, node.In.C, node.Arg("kernel"), node.Arg("kernel") });
        yield return new TensorDecl("B", "bias", new[] { node.Out.C });
    }

    public override IEnumerable<ExtraSlice> Extras(OpNode node)
    {
        yield return new ExtraSlice("scratch", 0, false, "im2col / transpose scratch of the convolution kernels",
            $"Conv2d.ScratchFloats({node.Name}_Shape, {(node.RowsFactor > 1 ? $"{node.RowsFactor} * " : "")}_maxBatch, _pool.Threads)");
    }

    public override void EmitDeclarations(SourceWriter w, OpNode node)
    {
        w.Line($"private static readonly ConvShape {node.Name}_Shape = new({node.In.C}, {node.In.H}, {node.In.W}, {node.Out.C}, {node.Arg("kernel")}, {node.Arg("Stride")}, {node.Arg("Padding")}); // {node.In} → {node.Out}");
    }

    public override void EmitInit(SourceWriter w, OpNode node)
    {
        if (node.ZeroInit) // a flow's output layer under FlowInitialization.Identity
        {
            w.Line($"// {node.Tensors[0].Name.Substring(0, node.Tensors[0].Name.Length - ".weight".Length)}: output layer, zero");
            return;
        }
        int k = node.Arg("kernel");
        int fanIn = node.In.C * k * k;
        string bound = Lit.F((float)(1.0 / System.Math.Sqrt(fanIn)));
        w.Line($"rng.FillUniform(p.Slice({node.Const("W")}, {node.Out.C * fanIn}), -{bound}, {bound}); // {node.Tensors[0].Name}, fan_in {fanIn}");
        w.Line($"rng.FillUniform(p.Slice({node.Const("B")}, {node.Out.C}), -{bound}, {bound});");
    }

    public override string Describe(OpNode node) =>
        $"{node.OutName} = {Apply(node.Activation, $"conv{node.Arg("kernel")}x{node.Arg("kernel")}/s{node.Arg("Stride")}/p{node.Arg("Padding")}({node.InName}, W{node.Index}) + b{node.Index}")}";

    public override void EmitOnnx(SourceWriter w, OpNode node, OnnxContext context)
    {
        string g = context.Builder, name = context.ValueName, input = context.Input;
        int act = node.Activation;
        w.Line($"// {name}: {node.Describe()}   {node.In} → {node.Out}");
        if (node.In.IsVector)
        {
            w.Line($"var {context.Output}_image = {OnnxAsImage(context, input, node.In, name + ".image")}; // [batch, {node.In.C}] as [batch, {node.In.C}, 1, 1]");
            input = context.Output + "_image";
        }
        w.Line($"var {context.Output} = {g}.Conv({Lit.Str(act == 0 && !node.Out.IsVector ? name : name + ".conv")}, {input},");
        w.Line($"    {OnnxInitializer(node, context, "W")},");
        w.Line($"    {OnnxInitializer(node, context, "B")},");
        w.Line($"    kernel: {node.Arg("kernel")}, stride: {node.Arg("Stride")}, padding: {node.Arg("Padding")});");
        if (act != 0)
            w.Line($"{context.Output} = {g}.Activation({Lit.Str(node.Out.IsVector ? name + ".act" : name)}, {context.Output}, Activation.{ActivationNames[act]});");
        if (node.Out.IsVector)
            w.Line($"{context.Output} = {g}.Flatten({Lit.Str(name)}, {context.Output}); // a 1×1 output is a vector [batch, {node.Out.C}]");
    }

    private static string Weight(OpNode node, string arena) => $"{arena}.Span.Slice({node.Const("W")}, {node.Tensors[0].Tensor.Length})";
    private static string Scratch(OpNode node) => $"_activations.Span.Slice({node.Field("scratch")}, {node.FieldLength("scratch")})";

    public override void EmitForward(SourceWriter w, OpNode node, ForwardContext context)
    {
        string rows = context.Rows;
        int act = node.Activation;
        w.Line($"// {node.Describe()}   {node.In} → {node.Out} per row");
        w.Line($"Conv2d.Forward(Act({node.InputField}, {rows}, {node.In.Size}), {Weight(node, "_parameters")}, _parameters.Span.Slice({node.Const("B")}, {node.Out.C}), Act({node.OutputField}, {rows}, {node.Out.Size}), {node.Name}_Shape, Activation.{ActivationNames[act]}, 0.2f, {Scratch(node)}, _pool);");
    }

    public override void EmitBackward(SourceWriter w, OpNode node, BackwardContext context)
    {
        string rows = context.Rows;
        int act = node.Activation;
        w.Line($"var gy = Act({context.GradOutput}, {rows}, {node.Out.Size});");
        if (act != 0)
            w.Line($"Conv2d.ActivationBackward(gy, Act({node.OutputField}, {rows}, {node.Out.Size}), Activation.{ActivationNames[act]}, 0.2f, {node.Out.C}, Span<float>.Empty, accumulate: false, _pool); // ∂L/∂(pre-activation) = ∂L/∂y ⊙ f′(y)");
        if (context.ParameterGradients)
            w.Line($"Conv2d.BackwardWeight(gy, Act({node.InputField}, {rows}, {node.In.Size}), {Weight(node, "_gradients")}, _gradients.Span.Slice({node.Const("B")}, {node.Out.C}), {node.Name}_Shape, {Scratch(node)}, _pool); // ∂L/∂W = Σ gy ⋆ x ; ∂L/∂b = Σ_rows,pixels gy");
        if (context.GradInput is not null)
            w.Line($"Conv2d.BackwardData(gy, {Weight(node, "_parameters")}, Act({context.GradInput}, {rows}, {node.In.Size}), {node.Name}_Shape, {Scratch(node)}, _pool); // ∂L/∂x = convᵀ(gy, W)");
    }

    // ---- PyTorch export: F.conv2d on nn.Conv2d's layout.
    protected override string PyTorchInitial(OpNode node, TensorDecl tensor) =>
        node.ZeroInit ? base.PyTorchInitial(node, tensor) : PyUniform(tensor.Shape, node.In.C * node.Arg("kernel") * node.Arg("kernel"));

    public override string? PyTorchForward(OpNode node, string module, string x) =>
        PyActivation(node.Activation, $"F.conv2d({x}.reshape(-1, {node.In.C}, {node.In.H}, {node.In.W}), {module}.weight, {module}.bias, stride={node.Arg("Stride")}, padding={node.Arg("Padding")})");
}
