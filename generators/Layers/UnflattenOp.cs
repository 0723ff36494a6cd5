using System.Collections.Generic;

namespace GenDsl.Generators.Layers;

/// <summary>
/// <c>[Unflatten(channels, height, width)]</c>: reads a vector of channels·height·width values as an image,
/// as torch.nn.Unflatten(1, (c, h, w)) — the step between a generator's first dense layer and its
/// transposed convolutions. Emits no code (rows are already flat).
/// </summary>
internal sealed class UnflattenOp : Op
{
    private static readonly OpArgument[] s_arguments =
    {
        new("channels", false, 0, 1, Limits.MaxSize, "channels"),
        new("height", false, 0, 1, Limits.MaxSide, "height"),
        new("width", false, 0, 1, Limits.MaxSide, "width"),
    };

    public override string Name => "Unflatten";
    public override string MemberType => "Reshape";
    public override IReadOnlyList<OpArgument> Arguments => s_arguments;
    public override bool IsView => true;

    protected override ShapeResult OutShape(OpSpec spec, Shape input, string member)
    {
        long values = (long)spec[0] * spec[1] * spec[2];
        if (values != input.LongSize)
            return ShapeResult.Fail($"Layer '{member}' has [Unflatten({spec[0]}, {spec[1]}, {spec[2]})], which needs {spec[0]}·{spec[1]}·{spec[2]} = {values} values, but its input {input} has {input.LongSize}: make the product {input.LongSize}, or change the layer before it");
        return ShapeResult.Ok(new Shape(spec[0], spec[1], spec[2]));
    }

    public override string Describe(OpNode node) => $"{node.OutName} = unflatten({node.InName}, {node.Out})";

    public override void EmitOnnx(Helpers.SourceWriter w, OpNode node, OnnxContext context) =>
        w.Line(!node.Out.IsVector
            ? $"var {context.Output} = {OnnxAsImage(context, context.Input, node.Out, context.ValueName)}; // {context.ValueName}: {node.In} → {node.Out}"
            : node.In.IsVector
                ? $"var {context.Output} = {context.Input}; // {context.ValueName}: unflatten to a vector, nothing to do"
                : $"var {context.Output} = {context.Builder}.Flatten({Helpers.Lit.Str(context.ValueName)}, {context.Input}); // {context.ValueName}: {node.In} → {node.Out}");

    public override void EmitForward(Helpers.SourceWriter w, OpNode node, ForwardContext context)
    {
    }

    public override void EmitBackward(Helpers.SourceWriter w, OpNode node, BackwardContext context)
    {
    }

    // ---- PyTorch export: nn.Unflatten(1, (c, h, w)) as a reshape.
    public override string? PyTorchForward(OpNode node, string module, string x) => $"{x}.reshape(-1, {node.Out.C}, {node.Out.H}, {node.Out.W})";
}
