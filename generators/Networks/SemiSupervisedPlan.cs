using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>
/// Layout of a [SemiSupervisedVae] (Kingma et al. 2014, M2): three networks of catalogue ops, the encoder
/// q(z|x,y) on [x, onehot(y)], the decoder p(x|y,z) on [z, onehot(y)] and the classifier q(y|x) on x, and
/// the slices of the combined loss. A training step runs the encoder and decoder on L + K·U rows (each
/// labelled row with its label, each unlabelled row once per class) and the classifier on L + U rows, so the
/// encoder's and decoder's slices hold (K + 1)·MaxBatch rows and the classifier's 2·MaxBatch.
/// </summary>
internal sealed class SemiSupervisedPlan
{
    public NetModelSpec Spec = null!;
    public int D, Z, K;
    public NetworkPlan Encoder = new(), Decoder = new(), Classifier = new();
    public ModelLayout Layout = new();
    public List<(string Member, string Type, List<int> TensorIndices)> LayerViews = new();
    public int DecoderOffset, ClassifierOffset;
    public int MaxHidden;
    public string DeclarationHash = "";

    /// <summary>Rows factor of the encoder and decoder: labelled rows plus K copies of the unlabelled rows.</summary>
    public int Replicas => K + 1;

    public int ParameterCount => Layout.ParameterCount;

    /// <summary>Image data: y enters the encoder as K constant channels after the image's.</summary>
    public bool ConditionAsChannels => Spec.HasImageShape;

    public bool UsesTrainingFlag => Encoder.UsesTrainingFlag || Decoder.UsesTrainingFlag || Classifier.UsesTrainingFlag;

    public static SemiSupervisedPlan Create(NetModelSpec spec)
    {
        var plan = new SemiSupervisedPlan { Spec = spec, D = spec.DataShape.Size, Z = spec.Latent, K = spec.Classes };
        var layout = plan.Layout;
        int f = plan.Replicas;

        NetworkPlan Build(string name, string role, string prefix, string inputField, Shape inputShape, int rowsFactor, int headOut, string headField, string inputComment)
        {
            layout.AddField(inputField, inputShape.Size, rowsFactor, inputComment);
            var requests = new List<NodeRequest>();
            bool image = role == "Decoder" && NetValidator.EndsWithImage(spec, role);
            var members = spec.Layers.Where(l => l.Roles.Count == 1 && l.Roles[0] == role && l.Op is not null).ToList();
            for (int i = 0; i < members.Count; i++)
            {
                var layer = members[i];
                bool head = image && i == members.Count - 1;
                requests.Add(new NodeRequest(layer.Member, layer.Op!, layer.Member, layer.Member, "",
                    head ? headField : $"_{layer.Member}_out", head ? null : $"{layer.Member}: {name} layer {i + 1}"));
            }
            if (!image)
                requests.Add(new NodeRequest("", DenseOp.Make(headOut, 0), $"{name}.head", $"{prefix}Head", "", headField, null));
            var net = NetworkPlan.Create(layout, name, inputField, inputShape, rowsFactor, requests, node =>
            {
                if (node.Member.Length > 0)
                    plan.LayerViews.Add((node.Member, node.Op.MemberType, node.Tensors.Select(t => layout.TensorIndex(t.Name)).ToList()));
            });
            plan.MaxHidden = System.Math.Max(plan.MaxHidden, net.MaxHidden);
            return net;
        }

        plan.Encoder = Build("encoder", "Encoder", "Enc", "_encIn", NetValidator.DataInput(spec), f, 2 * plan.Z, "_encHead",
            plan.ConditionAsChannels ? "encoder input [x, onehot(y) as channels]: labelled rows, then each unlabelled row once per class" : "encoder input [x, onehot(y)]: labelled rows, then each unlabelled row once per class");
        layout.AddField("_encHead", 2 * plan.Z, f, "encoder head [μ, ln σ²] of q(z|x,y)");
        layout.AddField("_eps", plan.Z, f, "ε ~ N(0, I) of z = μ + σ ⊙ ε");
        plan.DecoderOffset = layout.Offset;
        plan.Decoder = Build("decoder", "Decoder", "Dec", "_decIn", Shape.Vector(plan.Z + plan.K), f, plan.D, "_decHead", "decoder input [z, onehot(y)]");
        layout.AddField("_decHead", plan.D, f, "decoder head: Bernoulli logits of p(x|y,z)");
        plan.ClassifierOffset = layout.Offset;
        plan.Classifier = Build("classifier", "Classifier", "Cls", "_clsIn", spec.DataShape, 2, plan.K, "_clsHead", "classifier input x: labelled rows, then unlabelled rows");
        layout.AddField("_clsHead", plan.K, 2, "classifier head: logits of q(y|x)");
        layout.AddField("_logProbs", plan.K, 2, "ln q(y|x) (log-softmax of the logits)");
        layout.AddField("_gClsHead", plan.K, 2, "∂L/∂(classifier logits)");
        layout.AddField("_gDecHead", plan.D, f, "∂L/∂(decoder logits)");
        layout.AddField("_gDecIn", plan.Z + plan.K, f, "∂L/∂[z, onehot(y)]");
        layout.AddField("_gEncHead", 2 * plan.Z, f, "∂L/∂[μ, ln σ²]");
        layout.AddField("_terms", plan.D, 0, "one row's reconstruction terms, summed in a width-independent order");
        layout.AddField("_rowLoss", 1, f, "per encoder row: −ELBO(x, y) = rec + KL + ln K");
        layout.AddField("_rowWeight", 1, f, "per encoder row: its weight in the loss (1/L, or q(y|x)/U)");
        if (plan.MaxHidden > 0)
        {
            layout.AddField("_gh0", plan.MaxHidden, f, "∂L/∂(hidden layer) ping-pong");
            layout.AddField("_gh1", plan.MaxHidden, f, "∂L/∂(hidden layer) ping-pong");
        }
        plan.DeclarationHash = FlowMath.Hash(Canonical(spec));
        return plan;
    }

    private static string Canonical(NetModelSpec spec)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(spec.Kind).Append(';').Append(spec.Features).Append(';').Append(spec.Latent).Append(';').Append(spec.Classes);
        if (spec.HasImageShape)
            sb.Append(";image:").Append(spec.Channels).Append('x').Append(spec.Height).Append('x').Append(spec.Width);
        foreach (var l in spec.Layers)
        {
            sb.Append('|').Append(l.Member).Append(':').Append(string.Join(",", l.Roles)).Append(':');
            if (l.Op is not null)
                sb.Append(l.Op.Op).Append('(').Append(string.Join(",", l.Op.Args)).Append(')');
        }
        return sb.ToString();
    }
}
