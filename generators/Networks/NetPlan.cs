using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>Layout of a VAE or GAN: its two networks (catalogue ops) and the slices the loss needs.</summary>
internal sealed class NetModelPlan
{
    public NetModelSpec Spec = null!;
    public int D, Z, K;
    public NetworkPlan A = new(), B = new();
    public ModelLayout Layout = new();
    public List<(string Member, string Type, List<int> TensorIndices)> LayerViews = new();
    public int PartBOffset;
    public int MaxHidden;
    public string DeclarationHash = "";

    public int ParameterArenaLength => Layout.Offset;
    public int ParameterCount => Layout.ParameterCount;

    /// <summary>Columns of the decoder's output: the likelihood's parameters (Gaussian: mean and log-variance).</summary>
    public int DecoderOut => NetValidator.ExpectedOutput(Spec).Size;

    public bool Wasserstein => Spec.Kind == NetKind.Gan && Spec.Loss == 3;

    /// <summary>The data is images and a condition is given: y enters the data-reading network as constant channels.</summary>
    public bool ConditionAsChannels => Spec.HasImageShape && K > 0;

    /// <summary>Some network has a batch norm: forward passes take a training flag.</summary>
    public bool UsesTrainingFlag => A.UsesTrainingFlag || B.UsesTrainingFlag;

    public static NetModelPlan Create(NetModelSpec spec)
    {
        var plan = new NetModelPlan { Spec = spec, D = spec.DataShape.Size, Z = spec.Latent, K = spec.Condition };
        var layout = plan.Layout;
        bool vae = spec.Kind == NetKind.Vae;

        NetworkPlan Build(string name, string role, string prefix, string inputField, Shape inputShape, int rowsFactor, int headOut, int headActivation, string headField)
        {
            layout.AddField(inputField, inputShape.Size, rowsFactor, $"{name} input [{(name is "encoder" or "discriminator" ? "x" : "z")}{(plan.K > 0 ? ", y" : "")}]");
            var requests = new List<NodeRequest>();
            bool image = NetValidator.EndsWithImage(spec, role);
            var members = spec.Layers.Where(l => l.Roles.Count == 1 && l.Roles[0] == role && l.Op is not null).ToList();
            for (int i = 0; i < members.Count; i++)
            {
                var layer = members[i];
                bool head = image && i == members.Count - 1 && name is "decoder" or "generator";
                requests.Add(new NodeRequest(layer.Member, layer.Op!, layer.Member, layer.Member, "",
                    head ? headField : $"_{layer.Member}_out", head ? null : $"{layer.Member}: {name} layer {i + 1}"));
            }
            if (!(image && name is "decoder" or "generator"))
                requests.Add(new NodeRequest("", DenseOp.Make(headOut, headActivation), $"{name}.head", $"{prefix}Head", "", headField, null));
            var net = NetworkPlan.Create(layout, name, inputField, inputShape, rowsFactor, requests, node =>
            {
                if (node.Member.Length > 0)
                {
                    var first = node.Tensors.Select(t => layout.TensorIndex(t.Name)).ToList();
                    plan.LayerViews.Add((node.Member, node.Op.MemberType, first));
                }
            });
            plan.MaxHidden = System.Math.Max(plan.MaxHidden, net.MaxHidden);
            return net;
        }

        var dataIn = NetValidator.DataInput(spec);
        var latentIn = Shape.Vector(plan.Z + plan.K);
        if (vae)
        {
            plan.A = Build("encoder", "Encoder", "Enc", "_encIn", dataIn, 1, 2 * plan.Z, 0, "_encHead");
            layout.AddField("_encHead", 2 * plan.Z, 1, "encoder head [μ, ln σ²]");
            layout.AddField("_eps", plan.Z, 1, "ε ~ N(0, I) of the reparameterisation z = μ + σ ⊙ ε");
            plan.PartBOffset = layout.Offset;
            plan.B = Build("decoder", "Decoder", "Dec", "_decIn", latentIn, 1, plan.DecoderOut, 0, "_decHead");
            layout.AddField("_decHead", plan.DecoderOut, 1, spec.Likelihood switch
            {
                0 => "decoder head: Bernoulli logits",
                1 => "decoder head [mean, ln σ²] of p(x|z)",
                _ => "decoder head: mean of p(x|z)",
            });
            layout.AddField("_x", plan.D, 1, "the batch x");
            layout.AddField("_gDecHead", plan.DecoderOut, 1, "∂L/∂(decoder head)");
            layout.AddField("_gDecIn", plan.Z + plan.K, 1, "∂L/∂[z, y]");
            layout.AddField("_gEncHead", 2 * plan.Z, 1, "∂L/∂[μ, ln σ²]");
            layout.AddField("_terms", plan.D, 0, "one row's reconstruction terms, summed in a width-independent order");
            layout.AddField("_rowA", 1, 1, "per-row scratch (IWAE running max)");
            layout.AddField("_rowB", 1, 1, "per-row scratch (IWAE running sum)");
            if (plan.MaxHidden > 0)
            {
                layout.AddField("_gh0", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong");
                layout.AddField("_gh1", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong");
            }
        }
        else
        {
            plan.A = Build("generator", "Generator", "Gen", "_genIn", latentIn, 1, plan.D, spec.Output, "_fake");
            layout.AddField("_fake", plan.D, 1, "generated rows f(z)");
            layout.Offset = ModelLayout.Align(layout.Offset);
            plan.PartBOffset = layout.Offset;
            // WGAN-GP's critic also sees the interpolates x̂: real, fake and x̂ rows, 3·rows in all.
            int f = plan.Wasserstein ? 3 : 2;
            plan.B = Build("discriminator", "Discriminator", "Dis", "_disIn", dataIn, f, 1, 0, "_logit");
            layout.AddField("_logit", 1, f, plan.Wasserstein ? "critic outputs (real rows, fake rows, interpolates)" : "discriminator logits (real rows, then fake rows)");
            layout.AddField("_gLogit", 1, f, "∂L/∂logit");
            layout.AddField("_gDisIn", dataIn.Size, 1, "∂L/∂[x, y] of the discriminator (generator step)");
            layout.AddField("_gFake", plan.D, 1, "∂L/∂f(z)");
            if (plan.MaxHidden > 0)
            {
                layout.AddField("_gh0", plan.MaxHidden, f, "∂L/∂(hidden layer) ping-pong");
                layout.AddField("_gh1", plan.MaxHidden, f, "∂L/∂(hidden layer) ping-pong");
            }
            if (plan.Wasserstein)
            {
                layout.AddField("_eps", 1, 1, "ε ~ U(0, 1) of the interpolates x̂ = ε·x + (1 − ε)·f(z)");
                var critic = plan.B.Emitting.ToList();
                for (int l = 0; l < critic.Count - 1; l++)
                    layout.AddField($"_gpV{l}", critic[l].Out.Size, 1, $"gradient penalty: v{l} = u{l + 1} ⊙ f′ of critic layer {l + 1} at x̂");
                int widest = System.Math.Max(plan.D + plan.K, plan.MaxHidden);
                layout.AddField("_gpA", widest, 1, "gradient penalty: u_l / t_l ping-pong");
                layout.AddField("_gpB", widest, 1, "gradient penalty: u_l / t_l ping-pong");
            }
        }

        plan.DeclarationHash = FlowMath.Hash(Canonical(spec));
        return plan;
    }

    /// <summary>The declaration as text, hashed into checkpoints. Dense layers keep the text they had before the catalogue, so old checkpoints still load.</summary>
    private static string Canonical(NetModelSpec spec)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(spec.Kind).Append(';').Append(spec.Features).Append(';').Append(spec.Latent).Append(';').Append(spec.Condition)
          .Append(';').Append(spec.Likelihood).Append(';').Append(spec.Loss).Append(';').Append(spec.Output);
        if (spec.HasImageShape)
            sb.Append(";image:").Append(spec.Channels).Append('x').Append(spec.Height).Append('x').Append(spec.Width);
        if (spec.ConditionImage.IsSet) // only for image conditions: the other models' hashes stay as they were
            sb.Append(";ycond:").Append(spec.ConditionImage.Channels).Append('x').Append(spec.ConditionImage.Height).Append('x').Append(spec.ConditionImage.Width);
        foreach (var l in spec.Layers)
        {
            sb.Append('|').Append(l.Member).Append(':').Append(string.Join(",", l.Roles)).Append(':');
            if (l.Op is { Op: "Dense" })
                sb.Append(l.Op[0]).Append(':').Append(l.Op[1]);
            else if (l.Op is not null)
                sb.Append(l.Op.Op).Append('(').Append(string.Join(",", l.Op.Args)).Append(')');
        }
        return sb.ToString();
    }
}
