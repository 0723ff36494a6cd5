using System.Collections.Generic;

namespace GenDsl.Generators.Flows;

/// <summary>One linear layer of a coupling network: y = act(x · Wᵀ + b), W stored [Out, In].</summary>
internal sealed class DensePlan
{
    public int Index;
    public int In;
    public int Out;
    public int Activation; // GenDsl.Activation value; 0 (identity) for the output layer
    public string WeightConst = "";
    public string BiasConst = "";
    public string InputField = "";  // activation-arena offset field of the input
    public string OutputField = ""; // activation-arena offset field of the output
}

/// <summary>A layer with everything the emitter needs resolved: indices, widths, arena offsets.</summary>
internal sealed class LayerPlan
{
    public LayerSpec Spec = null!;
    public int Index;
    public string Name => Spec.Member;
    public LayerKind Kind => Spec.Kind;

    // Couplings
    public int CouplingNumber = -1;
    public int[] Kept = new int[0];
    public int[] Transformed = new int[0];
    public int NetIn;    // d1 + condition
    public int NetOut;   // 2·d2 (affine) or d2 (additive)
    public List<DensePlan> Net = new();
    public string ScaleConst = "";
    public string NetInputField = "";

    // Permutations (and InvertibleLinear's P)
    public int[] Order = new int[0];

    // ActNorm / InvertibleLinear parameter offsets
    public string LogScaleConst = "", BiasConst = "", LowerConst = "", UpperConst = "", LogSConst = "";
    public string WorkField = ""; // per-layer work space (ActNorm: exp(logscale); InvertibleLinear: W and W⁻¹ factors)

    public List<(string Name, string Const, int[] Shape)> Tensors = new();
}

/// <summary>Where every tensor lives: the parameter arena (constant offsets) and the activation arena (per MaxBatch).</summary>
internal sealed class FlowPlan
{
    public FlowSpec Spec = null!;
    public int Features;
    public int Condition;
    public List<LayerPlan> Layers = new();

    /// <summary>Parameter-arena constants in order: (const name, offset, comment).</summary>
    public List<(string Name, int Offset, string Comment)> ParameterConstants = new();
    public int ParameterArenaLength;
    public int ParameterCount;

    /// <summary>Activation-arena fields in order: (field, floats per row or fixed size, per-row?, comment).</summary>
    public List<(string Field, int Width, bool PerRow, string Comment)> ActivationFields = new();

    public int MaxNetOut, MaxHidden, MaxNetIn;
    public bool HasActNorm;
    public string DeclarationHash = "";

    public static int Align(int floats) => (floats + 15) / 16 * 16;

    public static FlowPlan Create(FlowSpec spec)
    {
        var plan = new FlowPlan { Spec = spec, Features = spec.Features, Condition = spec.Condition };
        int D = spec.Features;
        int offset = 0;
        string AddParam(string constName, string tensorName, int[] shape, LayerPlan layer)
        {
            int length = 1;
            foreach (int d in shape) length *= d;
            plan.ParameterConstants.Add((constName, offset, $"{tensorName} [{string.Join(", ", shape)}]"));
            layer.Tensors.Add((tensorName, constName, shape));
            plan.ParameterCount += length;
            offset += Align(length);
            return constName;
        }

        plan.ActivationFields.Add(("_x0", D, true, "X0: the batch as given (input of the first layer)"));
        int couplings = 0;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var spec_i = spec.Layers[i];
            var layer = new LayerPlan { Spec = spec_i, Index = i };
            string n = spec_i.Member;
            switch (spec_i.Kind)
            {
                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                {
                    bool affine = spec_i.Kind == LayerKind.AffineCoupling;
                    layer.CouplingNumber = couplings++;
                    layer.Kept = FlowMath.Kept(spec_i, D, layer.CouplingNumber);
                    layer.Transformed = FlowMath.Complement(layer.Kept, D);
                    layer.NetIn = layer.Kept.Length + spec.Condition;
                    layer.NetOut = affine ? 2 * layer.Transformed.Length : layer.Transformed.Length;
                    layer.NetInputField = $"_{n}_in";
                    plan.ActivationFields.Add((layer.NetInputField, layer.NetIn, true, $"{n}: network input [x_K{(spec.Condition > 0 ? ", y" : "")}]"));
                    int width = layer.NetIn;
                    for (int l = 0; l <= spec_i.HiddenLayers; l++)
                    {
                        bool last = l == spec_i.HiddenLayers;
                        var dense = new DensePlan
                        {
                            Index = l,
                            In = width,
                            Out = last ? layer.NetOut : spec_i.Hidden,
                            Activation = last ? 0 : spec_i.Activation,
                            InputField = l == 0 ? layer.NetInputField : $"_{n}_h{l}",
                            OutputField = last ? $"_{n}_out" : $"_{n}_h{l + 1}",
                        };
                        dense.WeightConst = AddParam($"{n}_W{l}", $"{n}.net.{l}.weight", new[] { dense.Out, dense.In }, layer);
                        dense.BiasConst = AddParam($"{n}_B{l}", $"{n}.net.{l}.bias", new[] { dense.Out }, layer);
                        plan.ActivationFields.Add((dense.OutputField, dense.Out, true,
                            last ? $"{n}: network output [{(affine ? "raw s, m" : "m")}]" : $"{n}: hidden layer {l + 1}"));
                        layer.Net.Add(dense);
                        width = dense.Out;
                        if (!last) plan.MaxHidden = System.Math.Max(plan.MaxHidden, dense.Out);
                    }
                    if (affine)
                        layer.ScaleConst = AddParam($"{n}_Scale", $"{n}.scale", new[] { layer.Transformed.Length }, layer);
                    plan.MaxNetOut = System.Math.Max(plan.MaxNetOut, layer.NetOut);
                    plan.MaxNetIn = System.Math.Max(plan.MaxNetIn, layer.NetIn);
                    break;
                }
                case LayerKind.Permute:
                    layer.Order = FlowMath.PermutationOrder(spec_i, D);
                    break;
                case LayerKind.ActNorm:
                    plan.HasActNorm = true;
                    layer.LogScaleConst = AddParam($"{n}_LogScale", $"{n}.logscale", new[] { D }, layer);
                    layer.BiasConst = AddParam($"{n}_Bias", $"{n}.bias", new[] { D }, layer);
                    layer.WorkField = $"_{n}_scale";
                    plan.ActivationFields.Add((layer.WorkField, D, false, $"{n}: exp(logscale)"));
                    break;
                case LayerKind.InvertibleLinear:
                    layer.Order = FlowMath.RandomPermutation(D, (ulong)(uint)spec_i.Seed);
                    layer.LowerConst = AddParam($"{n}_Lower", $"{n}.lower", new[] { D, D }, layer);
                    layer.UpperConst = AddParam($"{n}_Upper", $"{n}.upper", new[] { D, D }, layer);
                    layer.LogSConst = AddParam($"{n}_LogS", $"{n}.logs", new[] { D }, layer);
                    layer.WorkField = $"_{n}_w";
                    plan.ActivationFields.Add((layer.WorkField, 4 * D * D, false, $"{n}: W = P·L·Ũ, L (unit lower), Ũ = U + diag(exp(logs)), and a D×D scratch for ∂L/∂W"));
                    break;
            }
            plan.ActivationFields.Add(($"_x{i + 1}", D, true, $"X{i + 1}: output of {n}"));
            plan.Layers.Add(layer);
        }

        plan.ActivationFields.Add(("_logDet", 1, true, "ln|det J_h| per row, accumulated over the layers"));
        plan.ActivationFields.Add(("_g0", D, true, "∂L/∂X_i for even i (backward ping-pong)"));
        plan.ActivationFields.Add(("_g1", D, true, "∂L/∂X_i for odd i (backward ping-pong)"));
        if (plan.MaxNetOut > 0)
        {
            plan.ActivationFields.Add(("_gOut", plan.MaxNetOut, true, "∂L/∂(network output) of the coupling being differentiated"));
            plan.ActivationFields.Add(("_gIn", plan.MaxNetIn, true, "∂L/∂(network input)"));
        }
        if (plan.MaxHidden > 0)
        {
            plan.ActivationFields.Add(("_gh0", plan.MaxHidden, true, "∂L/∂(hidden layer) ping-pong, even layers"));
            plan.ActivationFields.Add(("_gh1", plan.MaxHidden, true, "∂L/∂(hidden layer) ping-pong, odd layers"));
        }

        plan.ParameterArenaLength = offset;
        plan.DeclarationHash = FlowMath.Hash(Canonical(spec));
        return plan;
    }

    /// <summary>The declaration as text, hashed into checkpoints: what changes the meaning of the parameters.</summary>
    private static string Canonical(FlowSpec spec)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("flow;").Append(spec.Features).Append(';').Append(spec.Condition);
        foreach (var l in spec.Layers)
        {
            sb.Append('|').Append(l.Member).Append(':').Append(l.Kind).Append(':').Append(l.Mask).Append(':').Append(l.Pattern)
              .Append(':').Append(l.Hidden).Append(':').Append(l.HiddenLayers).Append(':').Append(l.Activation)
              .Append(':').Append(l.PermutationKind).Append(':').Append(string.Join(",", l.Order)).Append(':').Append(l.Seed);
        }
        return sb.ToString();
    }
}
