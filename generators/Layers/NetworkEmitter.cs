using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Layers;

/// <summary>
/// Emits a network's passes by asking each op for its code: the forward pass in order, the backward
/// pass last node first, each backward block headed by the forward line it differentiates. Hidden
/// gradients ping-pong between two model-wide slices.
/// </summary>
internal static class NetworkEmitter
{
    public static void EmitForward(SourceWriter w, NetworkPlan net, string rows = "rows", string training = "training")
    {
        var context = new ForwardContext(rows, training);
        foreach (var node in net.Emitting)
            node.Op.EmitForward(w, node, context);
    }

    /// <summary>
    /// Backward through <paramref name="net"/>, last node first. ∂L/∂(network output) is in
    /// <paramref name="gOutput"/>; hidden gradients ping-pong between <paramref name="gh0"/>/<paramref name="gh1"/>
    /// (by node index, so the buffer a node reads is the one its successor wrote); ∂L/∂(network input)
    /// goes to <paramref name="gInput"/> (null: not needed). With <paramref name="parameterGradients"/>
    /// false only input gradients are computed.
    /// </summary>
    public static void EmitBackward(SourceWriter w, NetworkPlan net, string gOutput, string gh0, string gh1,
        string? gInput, bool parameterGradients, string rows = "rows")
    {
        var nodes = net.Emitting.ToList();
        for (int l = nodes.Count - 1; l >= 0; l--)
        {
            var node = nodes[l];
            bool last = l == nodes.Count - 1;
            string gOut = last ? gOutput : (node.Index % 2 == 0 ? gh0 : gh1);
            string? gIn = l == 0 ? gInput : ((node.Index + 1) % 2 == 0 ? gh0 : gh1);
            w.Line($"// backward of: {node.Describe()}");
            w.Line("{");
            w.Indent();
            node.Op.EmitBackward(w, node, new BackwardContext(rows, gOut, gIn, parameterGradients));
            w.Unindent();
            w.Line("}");
        }
    }

    /// <summary>
    /// Emits the C# that adds the network's ONNX nodes to builder <paramref name="builder"/>, op by op (views included: a
    /// reshape is a node there), starting from the value whose name is in the C# variable <paramref name="input"/>
    /// (rank 2 for a vector input, rank 4 for an image). Returns the C# variable holding the output value's name.
    /// </summary>
    public static string EmitOnnx(SourceWriter w, NetworkPlan net, string builder, string input)
    {
        string current = input;
        foreach (var node in net.Nodes)
        {
            string output = "onnx_" + node.Name;
            node.Op.EmitOnnx(w, node, new OnnxContext(builder, current, output, OnnxName(node)));
            current = output;
        }
        return current;
    }

    /// <summary>A node's ONNX name: its tensors' checkpoint prefix ("C1.net.0", "encoder.head"), else its member.</summary>
    private static string OnnxName(OpNode node)
    {
        if (node.Tensors.Count > 0)
        {
            string tensor = node.Tensors[0].Name;
            int dot = tensor.LastIndexOf('.');
            return dot > 0 ? tensor.Substring(0, dot) : tensor;
        }
        return node.Member.Length > 0 ? node.Member : node.Name;
    }

    /// <summary>Every node's class-level declarations (static shapes).</summary>
    public static void EmitDeclarations(SourceWriter w, NetworkPlan net)
    {
        foreach (var node in net.Emitting)
            node.Op.EmitDeclarations(w, node);
    }

    /// <summary>Every node's initialisation, in order (the order of the random draws).</summary>
    public static void EmitInit(SourceWriter w, NetworkPlan net)
    {
        foreach (var node in net.Emitting)
            node.Op.EmitInit(w, node);
    }

    /// <summary>"784 → 400 → 40" or "[1, 28, 28] → [64, 14, 14] → [6272] → 1".</summary>
    public static string Widths(NetworkPlan net)
    {
        bool images = !net.InputShape.IsVector || net.Nodes.Any(n => !n.Out.IsVector);
        string Text(Shape s) => images ? s.ToString() : s.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(" → ", new[] { Text(net.InputShape) }.Concat(net.Emitting.Select(n => Text(n.Out))));
    }
}
