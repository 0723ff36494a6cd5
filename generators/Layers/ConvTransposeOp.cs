using System.Collections.Generic;
using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Layers;

/// <summary>
/// <c>[ConvTranspose(channels, kernel, Stride = 1, Padding = 0, OutputPadding = 0, Activation = Relu)]</c>:
/// the adjoint of a convolution, as torch.nn.ConvTranspose2d: W [in, out, k, k] ("weight"), b [out]
/// ("bias"), both U(±1/√(out·k·k)) as torch initialises them (its fan-in is W's second dimension times
/// k²). Output side (side − 1)·Stride − 2·Padding + kernel + OutputPadding. Kernels:
/// GenDsl.Numerics.ConvTranspose2d (the convolution's data-gradient code, with bias and activation).
/// </summary>
internal sealed class ConvTransposeOp : Op
{
    private static readonly OpArgument[] s_arguments =
    {
        new("channels", false, 0, 1, Limits.MaxSize, "number of output channels"),
        new("kernel", false, 0, 1, Limits.MaxKernel, "kernel side"),
        new("Stride", true, 1, 1, Limits.MaxKernel, "stride"),
        new("Padding", true, 0, 0, Limits.MaxKernel, "padding"),
        new("OutputPadding", true, 0, 0, Limits.MaxKernel, "output padding"),
        ActivationArgument(true, 1),
    };

    public override string Name => "ConvTranspose";
    public override string MemberType => "Conv";
    public override IReadOnlyList<OpArgument> Arguments => s_arguments;
    public override bool MakesImage => true;
    public override int ActivationOf(OpSpec spec) => spec[5];

    protected override ShapeResult OutShape(OpSpec spec, Shape input, string member)
    {
        int k = spec[1], s = spec[2], p = spec[3], op = spec[4];
        if (op >= s)
            return ShapeResult.Fail($"Layer '{member}' has [ConvTranspose] with OutputPadding = {op} and Stride = {s}: the output padding must be smaller than the stride (as in PyTorch)", "OutputPadding");
        long oh = (input.H - 1L) * s - 2L * p + k + op, ow = (input.W - 1L) * s - 2L * p + k + op;
        if (oh < 1 || ow < 1)
            return ShapeResult.Fail($"Layer '{member}' has [ConvTranspose] with kernel {k}, stride {s}, padding {p} on {input}: the output would be {oh}×{ow} ((side − 1)·{s} − 2·{p} + {k} + {op}): use less padding", "Padding");
        if (oh > Limits.MaxSide || ow > Limits.MaxSide)
            return ShapeResult.Fail($"Layer '{member}' has [ConvTranspose] making a {oh}×{ow} image, larger than GenDsl's limit of {Limits.MaxSide} pixels a side", "Stride", "GD0015");
        return ShapeResult.Ok(new Shape(spec[0], (int)oh, (int)ow));
    }

    public override IEnumerable<TensorDecl> Tensors(OpNode node)
    {
        yield return new TensorDecl("W", "weight", new[] { node.In.C, node.Out.C, node.Arg("kernel"), node.Arg("kernel") });
        yield return new TensorDecl("B", "bias", new[] { node.Out.C });
    }

    public override IEnumerable<ExtraSlice> Extras(OpNode node)
    {
        yield return new ExtraSlice("scratch", 0, false, "scratch of the transposed-convolution kernels",
            $"ConvTranspose2d.ScratchFloats({node.Name}_Shape, {(node.RowsFactor > 1 ? $"{node.RowsFactor} * " : "")}_maxBatch, _pool.Threads)");
    }

    public override void EmitDeclarations(SourceWriter w, OpNode node)
    {
        w.Line($"private static readonly ConvTransposeShape {node.Name}_Shape = new({node.In.C}, {node.In.H}, {node.In.W}, {node.Out.C}, {node.Arg("kernel")}, {node.Arg("Stride")}, {node.Arg("Padding")}, {node.Arg("OutputPadding")}); // {node.In} → {node.Out}");
    }

    public override void EmitInit(SourceWriter w, OpNode node)
    {
        int k = node.Arg("kernel");
        int fanIn = node.Out.C * k * k; // torch: weight.size(1)·k·k
        string bound = Lit.F((float)(1.0 / System.Math.Sqrt(fanIn)));
        w.Line($"rng.FillUniform(p.Slice({node.Const("W")}, {node.In.C * fanIn}), -{bound}, {bound}); // {node.Tensors[0].Name}, torch's fan_in {fanIn} (out·k·k)");
        w.Line($"rng.FillUniform(p.Slice({node.Const("B")}, {node.Out.C}), -{bound}, {bound});");
    }

    public override string Describe(OpNode node) =>
        $"{node.OutName} = {Apply(node.Activation, $"convT{node.Arg("kernel")}x{node.Arg("kernel")}/s{node.Arg("Stride")}/p{node.Arg("Padding")}({node.InName}, W{node.Index}) + b{node.Index}")}";

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
        w.Line($"var {context.Output} = {g}.ConvTranspose({Lit.Str(act == 0 && !node.Out.IsVector ? name : name + ".convT")}, {input},");
        w.Line($"    {OnnxInitializer(node, context, "W")},");
        w.Line($"    {OnnxInitializer(node, context, "B")},");
        w.Line($"    kernel: {node.Arg("kernel")}, stride: {node.Arg("Stride")}, padding: {node.Arg("Padding")}, outputPadding: {node.Arg("OutputPadding")});");
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
        w.Line($"// {node.Describe()}   {node.In} → {node.Out} per row");
        w.Line($"ConvTranspose2d.Forward(Act({node.InputField}, {rows}, {node.In.Size}), {Weight(node, "_parameters")}, _parameters.Span.Slice({node.Const("B")}, {node.Out.C}), Act({node.OutputField}, {rows}, {node.Out.Size}), {node.Name}_Shape, Activation.{ActivationNames[node.Activation]}, 0.2f, {Scratch(node)}, _pool);");
    }

    public override void EmitBackward(SourceWriter w, OpNode node, BackwardContext context)
    {
        string rows = context.Rows;
        int act = node.Activation;
        w.Line($"var gy = Act({context.GradOutput}, {rows}, {node.Out.Size});");
        if (act != 0)
            w.Line($"Conv2d.ActivationBackward(gy, Act({node.OutputField}, {rows}, {node.Out.Size}), Activation.{ActivationNames[act]}, 0.2f, {node.Out.C}, Span<float>.Empty, accumulate: false, _pool); // ∂L/∂(pre-activation) = ∂L/∂y ⊙ f′(y)");
        if (context.ParameterGradients)
            w.Line($"ConvTranspose2d.BackwardWeight(gy, Act({node.InputField}, {rows}, {node.In.Size}), {Weight(node, "_gradients")}, _gradients.Span.Slice({node.Const("B")}, {node.Out.C}), {node.Name}_Shape, {Scratch(node)}, _pool); // ∂L/∂W, ∂L/∂b = Σ_rows,pixels gy");
        if (context.GradInput is not null)
            w.Line($"ConvTranspose2d.BackwardData(gy, {Weight(node, "_parameters")}, Act({context.GradInput}, {rows}, {node.In.Size}), {node.Name}_Shape, {Scratch(node)}, _pool); // ∂L/∂x = conv(gy, W): the adjoint's adjoint");
    }

    // ---- PyTorch export: F.conv_transpose2d on nn.ConvTranspose2d's layout (torch's fan-in: weight.size(1)·k²).
    protected override string PyTorchInitial(OpNode node, TensorDecl tensor) =>
        PyUniform(tensor.Shape, node.Out.C * node.Arg("kernel") * node.Arg("kernel"));

    public override string? PyTorchForward(OpNode node, string module, string x) =>
        PyActivation(node.Activation, $"F.conv_transpose2d({x}.reshape(-1, {node.In.C}, {node.In.H}, {node.In.W}), {module}.weight, {module}.bias, stride={node.Arg("Stride")}, padding={node.Arg("Padding")}, output_padding={node.Arg("OutputPadding")})");
}
