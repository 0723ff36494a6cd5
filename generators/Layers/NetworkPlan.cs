using System.Collections.Generic;
using System.Linq;

namespace GenDsl.Generators.Layers;

/// <summary>A layer to put into a network: the spec and how its tensors and slices are named.</summary>
/// <param name="Member">The declaring member ("E1"), or "" for a layer the model kind implies (a head).</param>
/// <param name="Spec">The op and its arguments.</param>
/// <param name="TensorPrefix">Checkpoint-name prefix of its tensors ("E1", "C1.net.0", "encoder.head").</param>
/// <param name="ConstBase">Offset-constant prefix ("E1" → E1_W; "C1" with <paramref name="ConstSuffix"/> "0" → C1_W0).</param>
/// <param name="ConstSuffix">Appended after the tensor kind.</param>
/// <param name="OutputField">The activation field of its output.</param>
/// <param name="OutputComment">The field's comment; null when the caller declares the output field itself.</param>
/// <param name="ZeroInit">Start its weights at zero.</param>
internal sealed record NodeRequest(string Member, OpSpec Spec, string TensorPrefix, string ConstBase, string ConstSuffix,
    string OutputField, string? OutputComment, bool ZeroInit = false);

/// <summary>
/// A network: an ordered list of ops with their shapes checked and their memory laid out. Coupling
/// networks, encoders, decoders, generators and discriminators are all networks.
/// </summary>
internal sealed class NetworkPlan
{
    public string Name = "";
    public string InputField = "";
    public Shape InputShape;
    public int RowsFactor = 1;
    public List<OpNode> Nodes = new();

    /// <summary>The nodes that emit code (views excluded), in order.</summary>
    public IEnumerable<OpNode> Emitting => Nodes.Where(n => !n.Op.IsView);

    public OpNode Last => Nodes[Nodes.Count - 1];
    public string OutputField => Last.OutputField;
    public Shape OutputShape => Last.Out;

    /// <summary>Widest hidden activation (every node's output but the last), for the gradient ping-pong buffers.</summary>
    public int MaxHidden => Emitting.Where(n => n != LastEmitting).Select(n => n.Out.Size).DefaultIfEmpty(0).Max();

    public OpNode LastEmitting => Emitting.Last();

    public bool UsesTrainingFlag => Nodes.Any(n => n.Op.UsesTrainingFlag);

    /// <summary>
    /// Plans a network whose requests are already validated (<see cref="NetworkShapes"/>): computes each
    /// node's shapes, allocates its tensors in <paramref name="layout"/> and its output and extra slices.
    /// </summary>
    public static NetworkPlan Create(ModelLayout layout, string name, string inputField, Shape inputShape, int rowsFactor,
        IEnumerable<NodeRequest> requests, System.Action<OpNode>? onNode = null, string lastName = "out")
    {
        var net = new NetworkPlan { Name = name, InputField = inputField, InputShape = inputShape, RowsFactor = rowsFactor };
        var shape = inputShape;
        string input = inputField;
        int index = 0;
        foreach (var request in requests)
        {
            var op = OpCatalog.Get(request.Spec.Op);
            var result = op.Check(request.Spec, shape, request.Member);
            var node = new OpNode
            {
                Op = op, Spec = request.Spec, Member = request.Member, In = shape, Out = result.Output,
                InputField = input, RowsFactor = rowsFactor, ZeroInit = request.ZeroInit,
                Name = request.ConstBase + request.ConstSuffix,
            };
            if (op.IsView)
            {
                node.OutputField = input;
                node.Index = index;
            }
            else
            {
                node.Index = index++;
                node.OutputField = request.OutputField;
                foreach (var tensor in op.Tensors(node))
                {
                    string constName = $"{request.ConstBase}_{tensor.Kind}{request.ConstSuffix}";
                    string tensorName = request.TensorPrefix + "." + tensor.Suffix;
                    layout.AddTensor(constName, tensorName, tensor.Shape, tensor.IsBuffer);
                    node.Consts[tensor.Kind] = constName;
                    node.Tensors.Add((tensor, tensorName, constName));
                }
                if (request.OutputComment is not null)
                    layout.AddField(node.OutputField, node.Out.Size, rowsFactor, request.OutputComment);
                foreach (var extra in op.Extras(node))
                {
                    string field = $"_{request.ConstBase}{request.ConstSuffix}_{extra.Suffix}";
                    node.Fields[extra.Suffix] = field;
                    layout.AddField(field, extra.Width, extra.PerRow ? rowsFactor : 0, $"{(request.Member.Length > 0 ? request.Member : request.TensorPrefix)}: {extra.Comment}", extra.SizeExpression);
                }
            }
            onNode?.Invoke(node);
            net.Nodes.Add(node);
            shape = node.Out;
            input = node.OutputField;
        }
        // Names in the emitted comments: a → h1 → h2 → … → out.
        var emitting = net.Emitting.ToList();
        for (int i = 0; i < emitting.Count; i++)
        {
            emitting[i].InName = i == 0 ? "a" : $"h{i}";
            emitting[i].OutName = i == emitting.Count - 1 ? lastName : $"h{i + 1}";
        }
        return net;
    }
}
