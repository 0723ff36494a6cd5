using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;

namespace GenDsl.Generators.Networks;

/// <summary>One of a model's two networks (encoder/decoder, generator/discriminator).</summary>
internal sealed class NetPlan
{
    public string Name = "";          // "encoder", "decoder", "generator", "discriminator"
    public string InputField = "";    // activation-arena field of [input, y]
    public int InputWidth;            // input width including the condition
    public int RowsFactor = 1;        // the discriminator sees real and fake rows together: 2
    public List<DensePlan> Layers = new();
    public List<string> Members = new(); // member name of each layer, or null entries for the head
    public DensePlan Head => Layers[Layers.Count - 1];
    public string OutputField => Head.OutputField;

    public string Describe(DensePlan dense)
    {
        string input = dense.Index == 0 ? "a" : $"h{dense.Index}";
        string output = dense == Head ? "out" : $"h{dense.Index + 1}";
        return Common.DenseEmitter.Describe(dense, input, output);
    }
}

/// <summary>Layout of a VAE or GAN: parameter constants, activation fields, the two networks.</summary>
internal sealed class NetModelPlan
{
    public NetModelSpec Spec = null!;
    public int D, Z, K;
    public NetPlan A = new(), B = new();
    public List<(string Name, int Offset, string Comment)> ParameterConstants = new();
    public List<(string Name, string Const, int[] Shape)> Tensors = new();
    public List<(string Member, int FirstTensor)> LayerViews = new();
    public int ParameterArenaLength, ParameterCount, PartBOffset;
    public List<(string Field, int Width, int RowsFactor, string Comment)> ActivationFields = new();
    public int MaxHidden;
    public string DeclarationHash = "";

    public int DecoderOut => Spec.Likelihood == 1 ? 2 * D : D; // Gaussian: mean and log-variance

    public bool Wasserstein => Spec.Kind == NetKind.Gan && Spec.Loss == 3;

    public static NetModelPlan Create(NetModelSpec spec)
    {
        var plan = new NetModelPlan { Spec = spec, D = spec.Features, Z = spec.Latent, K = spec.Condition };
        bool vae = spec.Kind == NetKind.Vae;
        int offset = 0;
        string AddParam(string constName, string tensorName, int[] shape)
        {
            int length = shape.Aggregate(1, (a, b) => a * b);
            plan.ParameterConstants.Add((constName, offset, $"{tensorName} [{string.Join(", ", shape)}]"));
            plan.Tensors.Add((tensorName, constName, shape));
            plan.ParameterCount += length;
            offset += FlowPlan.Align(length);
            return constName;
        }

        NetPlan Build(string name, string role, string prefix, string inputField, int inputWidth, int rowsFactor, int headOut, int headActivation, string headField)
        {
            var net = new NetPlan { Name = name, InputField = inputField, InputWidth = inputWidth, RowsFactor = rowsFactor };
            plan.ActivationFields.Add((inputField, inputWidth, rowsFactor, $"{name} input [{(name is "encoder" or "discriminator" ? "x" : "z")}{(plan.K > 0 ? ", y" : "")}]"));
            int width = inputWidth;
            string input = inputField;
            int index = 0;
            foreach (var layer in spec.Layers.Where(l => l.Roles.Count == 1 && l.Roles[0] == role))
            {
                var dense = new DensePlan
                {
                    Index = index++, In = width, Out = layer.Width, Activation = layer.Activation,
                    InputField = input, OutputField = $"_{layer.Member}_out",
                };
                plan.LayerViews.Add((layer.Member, plan.Tensors.Count));
                dense.WeightConst = AddParam($"{layer.Member}_W", $"{layer.Member}.weight", new[] { dense.Out, dense.In });
                dense.BiasConst = AddParam($"{layer.Member}_B", $"{layer.Member}.bias", new[] { dense.Out });
                plan.ActivationFields.Add((dense.OutputField, dense.Out, rowsFactor, $"{layer.Member}: {name} layer {dense.Index + 1}"));
                net.Layers.Add(dense);
                net.Members.Add(layer.Member);
                plan.MaxHidden = System.Math.Max(plan.MaxHidden, dense.Out);
                width = dense.Out;
                input = dense.OutputField;
            }
            var head = new DensePlan { Index = index, In = width, Out = headOut, Activation = headActivation, InputField = input, OutputField = headField };
            head.WeightConst = AddParam($"{prefix}Head_W", $"{name}.head.weight", new[] { headOut, width });
            head.BiasConst = AddParam($"{prefix}Head_B", $"{name}.head.bias", new[] { headOut });
            net.Layers.Add(head);
            net.Members.Add("");
            return net;
        }

        if (vae)
        {
            plan.A = Build("encoder", "Encoder", "Enc", "_encIn", plan.D + plan.K, 1, 2 * plan.Z, 0, "_encHead");
            plan.ActivationFields.Add(("_encHead", 2 * plan.Z, 1, "encoder head [μ, ln σ²]"));
            plan.ActivationFields.Add(("_eps", plan.Z, 1, "ε ~ N(0, I) of the reparameterisation z = μ + σ ⊙ ε"));
            plan.PartBOffset = offset;
            plan.B = Build("decoder", "Decoder", "Dec", "_decIn", plan.Z + plan.K, 1, plan.DecoderOut, 0, "_decHead");
            plan.ActivationFields.Add(("_decHead", plan.DecoderOut, 1, spec.Likelihood switch
            {
                0 => "decoder head: Bernoulli logits",
                1 => "decoder head [mean, ln σ²] of p(x|z)",
                _ => "decoder head: mean of p(x|z)",
            }));
            plan.ActivationFields.Add(("_x", plan.D, 1, "the batch x"));
            plan.ActivationFields.Add(("_gDecHead", plan.DecoderOut, 1, "∂L/∂(decoder head)"));
            plan.ActivationFields.Add(("_gDecIn", plan.Z + plan.K, 1, "∂L/∂[z, y]"));
            plan.ActivationFields.Add(("_gEncHead", 2 * plan.Z, 1, "∂L/∂[μ, ln σ²]"));
            plan.ActivationFields.Add(("_terms", plan.D, 0, "one row's reconstruction terms, summed in a width-independent order"));
            plan.ActivationFields.Add(("_rowA", 1, 1, "per-row scratch (IWAE running max)"));
            plan.ActivationFields.Add(("_rowB", 1, 1, "per-row scratch (IWAE running sum)"));
            if (plan.MaxHidden > 0)
            {
                plan.ActivationFields.Add(("_gh0", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong"));
                plan.ActivationFields.Add(("_gh1", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong"));
            }
        }
        else
        {
            plan.A = Build("generator", "Generator", "Gen", "_genIn", plan.Z + plan.K, 1, plan.D, spec.Output, "_fake");
            plan.ActivationFields.Add(("_fake", plan.D, 1, "generated rows f(z)"));
            offset = FlowPlan.Align(offset);
            plan.PartBOffset = offset;
            // WGAN-GP's critic also sees the interpolates x̂: real, fake and x̂ rows, 3·rows in all.
            int f = plan.Wasserstein ? 3 : 2;
            plan.B = Build("discriminator", "Discriminator", "Dis", "_disIn", plan.D + plan.K, f, 1, 0, "_logit");
            plan.ActivationFields.Add(("_logit", 1, f, plan.Wasserstein ? "critic outputs (real rows, fake rows, interpolates)" : "discriminator logits (real rows, then fake rows)"));
            plan.ActivationFields.Add(("_gLogit", 1, f, "∂L/∂logit"));
            plan.ActivationFields.Add(("_gDisIn", plan.D + plan.K, 1, "∂L/∂[x, y] of the discriminator (generator step)"));
            plan.ActivationFields.Add(("_gFake", plan.D, 1, "∂L/∂f(z)"));
            if (plan.MaxHidden > 0)
            {
                plan.ActivationFields.Add(("_gh0", plan.MaxHidden, f, "∂L/∂(hidden layer) ping-pong"));
                plan.ActivationFields.Add(("_gh1", plan.MaxHidden, f, "∂L/∂(hidden layer) ping-pong"));
            }
            if (plan.Wasserstein)
            {
                plan.ActivationFields.Add(("_eps", 1, 1, "ε ~ U(0, 1) of the interpolates x̂ = ε·x + (1 − ε)·f(z)"));
                for (int l = 0; l < plan.B.Layers.Count - 1; l++)
                    plan.ActivationFields.Add(($"_gpV{l}", plan.B.Layers[l].Out, 1, $"gradient penalty: v{l} = u{l + 1} ⊙ f′ of critic layer {l + 1} at x̂"));
                int widest = System.Math.Max(plan.D + plan.K, plan.MaxHidden);
                plan.ActivationFields.Add(("_gpA", widest, 1, "gradient penalty: u_l / t_l ping-pong"));
                plan.ActivationFields.Add(("_gpB", widest, 1, "gradient penalty: u_l / t_l ping-pong"));
            }
        }

        plan.ParameterArenaLength = offset;
        plan.DeclarationHash = FlowMath.Hash(Canonical(spec));
        return plan;
    }

    private static string Canonical(NetModelSpec spec)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(spec.Kind).Append(';').Append(spec.Features).Append(';').Append(spec.Latent).Append(';').Append(spec.Condition)
          .Append(';').Append(spec.Likelihood).Append(';').Append(spec.Loss).Append(';').Append(spec.Output);
        foreach (var l in spec.Layers)
            sb.Append('|').Append(l.Member).Append(':').Append(string.Join(",", l.Roles)).Append(':').Append(l.Width).Append(':').Append(l.Activation);
        return sb.ToString();
    }
}
