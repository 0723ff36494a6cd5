using System.Collections.Generic;

namespace GenDsl.Generators.Layers;

/// <summary>
/// <c>[Flatten]</c>: reads an image as a vector of C·H·W values (channel-major, as torch.flatten). Rows
/// of the activation arena are already flat, so it emits no code: the next layer reads the same slice.
/// </summary>
internal sealed class FlattenOp : Op
{
    public override string Name => "Flatten";
    public override string MemberType => "Reshape";
    public override IReadOnlyList<OpArgument> Arguments => System.Array.Empty<OpArgument>();
    public override bool IsView => true;

    protected override ShapeResult OutShape(OpSpec spec, Shape input, string member) => ShapeResult.Ok(Shape.Vector(input.Size));

    public override string Describe(OpNode node) => $"{node.OutName} = flatten({node.InName})";

    public override void EmitOnnx(Helpers.SourceWriter w, OpNode node, OnnxContext context) =>
        w.Line(node.In.IsVector
            ? $"var {context.Output} = {context.Input}; // {context.ValueName}: flatten of a vector, nothing to do"
            : $"var {context.Output} = {context.Builder}.Flatten({Helpers.Lit.Str(context.ValueName)}, {context.Input}); // {context.ValueName}: {node.In} → {node.Out}");

    public override void EmitForward(Helpers.SourceWriter w, OpNode node, ForwardContext context)
    {
    }

    public override void EmitBackward(Helpers.SourceWriter w, OpNode node, BackwardContext context)
    {
    }

    // ---- PyTorch export: torch.flatten from dimension 1.
    public override string? PyTorchForward(OpNode node, string module, string x) => $"{x}.flatten(1)";
}
