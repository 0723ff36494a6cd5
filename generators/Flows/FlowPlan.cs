using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Flows;

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
    public int NetOut;   // 2·d2 (affine), d2 (additive) or (3K − 1)·d2 (spline)
    /// <summary>A spline coupling's K (0 for other layers) and P = 3K − 1, its raw parameters per transformed feature.</summary>
    public int Bins, SplineParameters;
    /// <summary>The offset constant of a spline coupling's output bias (its derivative entries start at ln(e^(1 − m_d) − 1)).</summary>
    public string OutputBiasConst = "";
    /// <summary>The coupling's network (dense ops of the catalogue), or null for other layers.</summary>
    public NetworkPlan? Network;
    /// <summary>Layers of the coupling's network (0 for other layers).</summary>
    public int NetLayers => Network?.Nodes.Count ?? 0;
    public string ScaleConst = "";
    /// <summary>Entries of an affine layer's scale: one per transformed feature, or per transformed channel (convolutional couplings).</summary>
    public int ScaleLength = -1;

    // Convolutional couplings (image masks on an image flow)
    /// <summary>The coupling has an image mask: its network is convolutional, input [kept channels (+ condition), H, W].</summary>
    public bool ConvCoupling;
    /// <summary>A checkerboard mask: the network reads u ⊙ b (all channels) and its outputs are used at the transformed pixels only.</summary>
    public bool Checkerboard;
    /// <summary>Channels of each head of the network's output ([r | m] or [m]): the transformed channels, or all C for a checkerboard.</summary>
    public int HeadChannels;
    /// <summary>Columns of the (full) network output that the coupling reads, in the order of the compact [r_T, m_T] (checkerboard only).</summary>
    public int[] HeadColumns = new int[0];
    public string NetInputField = "";

    // Permutations (and InvertibleLinear's P, a squeeze's space-to-depth order)
    public int[] Order = new int[0];

    /// <summary>An image flow's shape [C, H, W] that the layer reads and writes (empty arrays in a vector flow).</summary>
    public int[] InputShape = new int[0], OutputShape = new int[0];

    /// <summary>The active features the layer reads (D, or C·H·W of its input shape after a [Split]) and writes.</summary>
    public int Width, OutWidth;

    /// <summary>An [ActNorm] of an image flow: per channel of <see cref="InputShape"/> (per feature in a vector flow).</summary>
    public bool IsImageActNorm => Kind == LayerKind.ActNorm && InputShape.Length == 3;

    // ActNorm / InvertibleLinear parameter offsets
    public string LogScaleConst = "", BiasConst = "", LowerConst = "", UpperConst = "", LogSConst = "";
    /// <summary>An [InvertibleConv1x1]'s pixel-major copies of its input and output (per row, D floats each).</summary>
    public string PixelsField = "", PixelsField2 = "";
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

    /// <summary>Parameter-arena constants, tensors and activation-arena slices, in order.</summary>
    public ModelLayout Layout = new();
    public int ParameterArenaLength => Layout.Offset;
    public int ParameterCount => Layout.ParameterCount;

    public int MaxNetOut, MaxHidden, MaxNetIn;
    /// <summary>The flow has a [Split]: the latent row is assembled in _z (each split's channels at their places), the last layer writes its prefix.</summary>
    public bool HasSplit;
    /// <summary>The active features after the last layer (D without a split).</summary>
    public int LatentWidth;
    /// <summary>An image flow's [C, H, W] as declared (null: a vector flow) and after the last layer.</summary>
    public int[]? ImageShape, LatentShape;
    public bool HasActNorm;
    public string DeclarationHash = "";

    public static int Align(int floats) => ModelLayout.Align(floats);

    public static FlowPlan Create(FlowSpec spec)
    {
        var plan = new FlowPlan { Spec = spec, Features = spec.Features, Condition = spec.Condition };
        int D = spec.Features;
        var layout = plan.Layout;
        string AddParam(string constName, string tensorName, int[] shape, LayerPlan layer)
        {
            layout.AddTensor(constName, tensorName, shape);
            layer.Tensors.Add((tensorName, constName, shape));
            return constName;
        }

        // A layer's dense network: HiddenLayers dense layers of Hidden units, then the output layer (zero-initialised
        // under [Flow(Initialization = FlowInitialization.Identity)], as torch.nn.Linear otherwise).
        void AddNetwork(LayerPlan layer, string input, string output)
        {
            var ls = layer.Spec;
            string member = ls.Member;
            layer.NetInputField = $"_{member}_in";
            layout.AddField(layer.NetInputField, layer.NetIn, 1, $"{member}: network input [{input}]");
            var requests = new List<NodeRequest>();
            for (int l = 0; l <= ls.HiddenLayers; l++)
            {
                bool last = l == ls.HiddenLayers;
                requests.Add(new NodeRequest(member, DenseOp.Make(last ? layer.NetOut : ls.Hidden, last ? 0 : ls.Activation),
                    $"{member}.net.{l}", member, $"{l}", last ? $"_{member}_out" : $"_{member}_h{l + 1}",
                    last ? $"{member}: network output [{output}]" : $"{member}: hidden layer {l + 1}", ZeroInit: last && spec.IdentityInit));
            }
            layer.Network = NetworkPlan.Create(layout, member, layer.NetInputField, Shape.Vector(layer.NetIn), 1, requests,
                node => layer.Tensors.AddRange(node.Tensors.Select(t => (t.Name, t.Const, t.Tensor.Shape))), lastName: "o");
            plan.MaxHidden = System.Math.Max(plan.MaxHidden, layer.Network.MaxHidden);
            plan.MaxNetOut = System.Math.Max(plan.MaxNetOut, layer.NetOut);
            plan.MaxNetIn = System.Math.Max(plan.MaxNetIn, layer.NetIn);
        }

        var shapes = FlowMath.Shapes(spec);
        if (shapes is not null)
        {
            plan.ImageShape = new[] { shapes[0].C, shapes[0].H, shapes[0].W };
            var last = shapes[spec.Layers.Count];
            plan.LatentShape = new[] { last.C, last.H, last.W };
        }
        // A coupling with an image mask (docs/flow-layers.md, "Convolutional couplings"): Glow's network
        // conv 3×3 (pad 1) → act → [conv 1×1 → act]… → conv 3×3 (pad 1) from the catalogue's ConvOp.
        void PlanConvCoupling(LayerPlan layer, bool affine)
        {
            var ls = layer.Spec;
            string member = ls.Member;
            int C = layer.InputShape[0], H = layer.InputShape[1], W = layer.InputShape[2], P = H * W, k = spec.ConditionImage.ChannelCount(spec.Condition);
            layer.ConvCoupling = true;
            layer.Checkerboard = ls.HasCheckerboardMask;
            layer.Kept = FlowMath.ImageKept(ls.Mask, C, H, W);
            layer.Transformed = FlowMath.ImageKept(ls.Mask, C, H, W, kept: false);
            int inChannels = layer.Checkerboard ? C : layer.Kept.Length / P;
            layer.HeadChannels = layer.Checkerboard ? C : layer.Transformed.Length / P;
            int d2 = layer.Transformed.Length, heads = affine ? 2 : 1;
            layer.NetIn = (inChannels + k) * P;
            layer.NetOut = heads * d2; // the compact [r_T, m_T] (or m_T) the coupling kernels read
            layer.NetInputField = $"_{member}_in";
            string input = layer.Checkerboard ? "u ⊙ b" : "u_K";
            layout.AddField(layer.NetInputField, layer.NetIn, 1, $"{member}: network input [{input}{(k == 0 ? "" : spec.ConditionImage.IsSet ? $", y resized to {H}×{W}" : ", y at every pixel")}] as [{inChannels + k}, {H}, {W}]");
            var requests = new List<NodeRequest>();
            for (int l = 0; l <= ls.HiddenLayers; l++)
            {
                bool last = l == ls.HiddenLayers;
                var op = last ? ConvOp.Make(heads * layer.HeadChannels, 3, 1, 1, 0)
                    : l == 0 ? ConvOp.Make(ls.Hidden, 3, 1, 1, ls.Activation)
                    : ConvOp.Make(ls.Hidden, 1, 1, 0, ls.Activation);
                string outputField = last ? (layer.Checkerboard ? $"_{member}_net" : $"_{member}_out") : $"_{member}_h{l + 1}";
                string comment = last ? $"{member}: network output [{(affine ? "r, m" : "m")}] as [{heads * layer.HeadChannels}, {H}, {W}]" : $"{member}: hidden layer {l + 1}";
                // constants C1_W_0, C1_B_0 and the node name C1_0 (its ConvShape and scratch): "_" keeps members C1 and C11 apart
                requests.Add(new NodeRequest(member, op, $"{member}.net.{l}", member, $"_{l}", outputField, comment, ZeroInit: last && spec.IdentityInit));
            }
            layer.Network = NetworkPlan.Create(layout, member, layer.NetInputField, new Shape(inChannels + k, H, W), 1, requests,
                node => layer.Tensors.AddRange(node.Tensors.Select(t => (t.Name, t.Const, t.Tensor.Shape))), lastName: "o");
            if (layer.Checkerboard)
            {
                // compact head columns: r at channel c of transformed pixel j is column c·P + p of the full output, m at (C + c)·P + p
                layer.HeadColumns = Enumerable.Range(0, heads).SelectMany(head => layer.Transformed.Select(j => head * C * P + j)).ToArray();
                layout.AddField($"_{member}_out", layer.NetOut, 1, $"{member}: the network output at the transformed features, [{(affine ? "r_T, m_T" : "m_T")}]");
                layout.AddField($"_{member}_goT", layer.NetOut, 1, $"{member}: ∂L/∂[{(affine ? "r_T, m_T" : "m_T")}]");
                layout.AddField($"_{member}_gInK", layer.Kept.Length, 1, $"{member}: ∂L/∂(network input) at the kept features");
            }
            if (affine)
            {
                layer.ScaleLength = layer.HeadChannels;
                layer.ScaleConst = AddParam($"{member}_Scale", $"{member}.scale", new[] { layer.HeadChannels }, layer);
                layout.AddField($"_{member}_scaleT", d2, 0, $"{member}: the scale of each transformed feature's channel");
                layout.AddField($"_{member}_gScaleT", d2, 0, $"{member}: ∂L/∂scale per transformed feature, before the sum over pixels");
            }
            plan.MaxHidden = System.Math.Max(plan.MaxHidden, layer.Network.MaxHidden);
            plan.MaxNetOut = System.Math.Max(plan.MaxNetOut, layer.Network.OutputShape.Size);
            plan.MaxNetIn = System.Math.Max(plan.MaxNetIn, layer.NetIn);
        }

        layout.AddField("_x0", D, 1, "X0: the batch as given (input of the first layer)");
        int couplings = 0;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var spec_i = spec.Layers[i];
            var layer = new LayerPlan { Spec = spec_i, Index = i, Width = D, OutWidth = D };
            if (shapes is not null)
            {
                layer.InputShape = new[] { shapes[i].C, shapes[i].H, shapes[i].W };
                layer.OutputShape = new[] { shapes[i + 1].C, shapes[i + 1].H, shapes[i + 1].W };
                layer.Width = shapes[i].C * shapes[i].H * shapes[i].W;
                layer.OutWidth = shapes[i + 1].C * shapes[i + 1].H * shapes[i + 1].W;
            }
            string n = spec_i.Member;
            switch (spec_i.Kind)
            {
                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                case LayerKind.SplineCoupling:
                {
                    bool affine = spec_i.Kind == LayerKind.AffineCoupling;
                    bool spline = spec_i.Kind == LayerKind.SplineCoupling;
                    if (spec_i.HasImageMask && layer.InputShape.Length == 3)
                    {
                        layer.CouplingNumber = couplings++;
                        PlanConvCoupling(layer, affine);
                        break;
                    }
                    layer.CouplingNumber = couplings++;
                    layer.Kept = FlowMath.Kept(spec_i, D, layer.CouplingNumber);
                    layer.Transformed = FlowMath.Complement(layer.Kept, D);
                    layer.NetIn = layer.Kept.Length + spec.Condition;
                    if (spline)
                    {
                        layer.Bins = spec_i.Bins;
                        layer.SplineParameters = 3 * spec_i.Bins - 1;
                    }
                    layer.NetOut = affine ? 2 * layer.Transformed.Length
                        : spline ? layer.SplineParameters * layer.Transformed.Length
                        : layer.Transformed.Length;
                    AddNetwork(layer, $"x_K{(spec.Condition > 0 ? ", y" : "")}",
                        affine ? "raw s, m" : spline ? $"per transformed feature: {spec_i.Bins} widths, {spec_i.Bins} heights, {spec_i.Bins - 1} derivatives" : "m");
                    if (spline)
                        layer.OutputBiasConst = layer.Network!.LastEmitting.Const("B");
                    if (affine)
                        layer.ScaleConst = AddParam($"{n}_Scale", $"{n}.scale", new[] { layer.Transformed.Length }, layer);
                    break;
                }
                case LayerKind.MaskedAutoregressive:
                {
                    // Every feature is transformed, and the (masked) network reads all of them: u for a MAF, v for an IAF.
                    layer.Kept = Enumerable.Range(0, D).ToArray();
                    layer.Transformed = layer.Kept;
                    layer.NetIn = D + spec.Condition;
                    string input = $"{(spec_i.Inverse ? "v" : "u")}{(spec.Condition > 0 ? ", y" : "")}";
                    if (spec_i.IsSplineMade)
                    {
                        // Feature i's 3K − 1 spline parameters at columns P·i … P·i + P − 1, as a spline coupling's.
                        layer.Bins = spec_i.Bins;
                        layer.SplineParameters = 3 * spec_i.Bins - 1;
                        layer.NetOut = layer.SplineParameters * D;
                        AddNetwork(layer, input, $"per feature: {spec_i.Bins} widths, {spec_i.Bins} heights, {spec_i.Bins - 1} derivatives");
                        layer.OutputBiasConst = layer.Network!.LastEmitting.Const("B");
                        break;
                    }
                    layer.NetOut = 2 * D;
                    AddNetwork(layer, input, "raw s, m");
                    layer.ScaleConst = AddParam($"{n}_Scale", $"{n}.scale", new[] { D }, layer);
                    break;
                }
                case LayerKind.Permute:
                    layer.Order = FlowMath.PermutationOrder(spec_i, D);
                    break;
                case LayerKind.InvertibleConv1x1:
                {
                    // [InvertibleLinear]'s LU form over the C channels, applied at every pixel as one GEMM on a pixel-major copy.
                    int C = layer.InputShape[0];
                    layer.Order = FlowMath.RandomPermutation(C, (ulong)(uint)spec_i.Seed);
                    layer.LowerConst = AddParam($"{n}_Lower", $"{n}.lower", new[] { C, C }, layer);
                    layer.UpperConst = AddParam($"{n}_Upper", $"{n}.upper", new[] { C, C }, layer);
                    layer.LogSConst = AddParam($"{n}_LogS", $"{n}.logs", new[] { C }, layer);
                    layer.WorkField = $"_{n}_w";
                    layout.AddField(layer.WorkField, 4 * C * C, 0, $"{n}: W = P·L·Ũ, L (unit lower), Ũ = U + diag(exp(logs)), and a C×C scratch for ∂L/∂W");
                    layer.PixelsField = $"_{n}_pu";
                    layer.PixelsField2 = $"_{n}_pv";
                    layout.AddField(layer.PixelsField, D, 1, $"{n}: its input, pixel-major [rows·H·W, C] (for ∂L/∂W)");
                    layout.AddField(layer.PixelsField2, D, 1, $"{n}: its output (then ∂L/∂output), pixel-major [rows·H·W, C]");
                    break;
                }
                case LayerKind.Split:
                    plan.HasSplit = true;
                    break;
                case LayerKind.Squeeze:
                    layer.Order = FlowMath.SqueezeOrder(layer.InputShape[0], layer.InputShape[1], layer.InputShape[2]);
                    break;
                case LayerKind.ActNorm:
                {
                    // In an image flow one logscale and bias per channel of the current shape, else one per feature.
                    plan.HasActNorm = true;
                    int width = layer.IsImageActNorm ? layer.InputShape[0] : D;
                    layer.LogScaleConst = AddParam($"{n}_LogScale", $"{n}.logscale", new[] { width }, layer);
                    layer.BiasConst = AddParam($"{n}_Bias", $"{n}.bias", new[] { width }, layer);
                    layer.WorkField = $"_{n}_scale";
                    layout.AddField(layer.WorkField, width, 0, $"{n}: exp(logscale)");
                    break;
                }
                case LayerKind.InvertibleLinear:
                    layer.Order = FlowMath.RandomPermutation(D, (ulong)(uint)spec_i.Seed);
                    layer.LowerConst = AddParam($"{n}_Lower", $"{n}.lower", new[] { D, D }, layer);
                    layer.UpperConst = AddParam($"{n}_Upper", $"{n}.upper", new[] { D, D }, layer);
                    layer.LogSConst = AddParam($"{n}_LogS", $"{n}.logs", new[] { D }, layer);
                    layer.WorkField = $"_{n}_w";
                    layout.AddField(layer.WorkField, 4 * D * D, 0, $"{n}: W = P·L·Ũ, L (unit lower), Ũ = U + diag(exp(logs)), and a D×D scratch for ∂L/∂W");
                    break;
            }
            layout.AddField($"_x{i + 1}", D, 1, $"X{i + 1}: output of {n}");
            plan.Layers.Add(layer);
        }

        plan.LatentWidth = plan.Layers.Count > 0 ? plan.Layers[plan.Layers.Count - 1].OutWidth : D;
        if (plan.HasSplit)
            layout.AddField("_z", D, 1, "Z: the latent row, each [Split]'s channels at their places and the last layer's output as its prefix");
        layout.AddField("_logDet", 1, 1, "ln|det J_h| per row, accumulated over the layers");
        layout.AddField("_g0", D, 1, "∂L/∂X_i for even i (backward ping-pong)");
        layout.AddField("_g1", D, 1, "∂L/∂X_i for odd i (backward ping-pong)");
        if (plan.MaxNetOut > 0)
        {
            layout.AddField("_gOut", plan.MaxNetOut, 1, "∂L/∂(network output) of the coupling being differentiated");
            layout.AddField("_gIn", plan.MaxNetIn, 1, "∂L/∂(network input)");
        }
        if (plan.MaxHidden > 0)
        {
            layout.AddField("_gh0", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong, even layers");
            layout.AddField("_gh1", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong, odd layers");
        }

        plan.DeclarationHash = FlowMath.Hash(Canonical(spec));
        return plan;
    }

    /// <summary>The declaration as text, hashed into checkpoints: what changes the meaning of the parameters.</summary>
    private static string Canonical(FlowSpec spec)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("flow;").Append(spec.Features).Append(';').Append(spec.Condition);
        if (spec.IsImage) // only for image flows: vector flows' hashes (and checkpoints) stay as they were
            sb.Append(";image:").Append(spec.Channels).Append('x').Append(spec.Height).Append('x').Append(spec.Width);
        if (spec.ConditionImage.IsSet) // only for image conditions: the other flows' hashes stay as they were
            sb.Append(";ycond:").Append(spec.ConditionImage.Channels).Append('x').Append(spec.ConditionImage.Height).Append('x').Append(spec.ConditionImage.Width);
        foreach (var l in spec.Layers)
        {
            sb.Append('|').Append(l.Member).Append(':').Append(l.Kind).Append(':').Append(l.Mask).Append(':').Append(l.Pattern)
              .Append(':').Append(l.Hidden).Append(':').Append(l.HiddenLayers).Append(':').Append(l.Activation)
              .Append(':').Append(l.PermutationKind).Append(':').Append(string.Join(",", l.Order)).Append(':').Append(l.Seed);
            if (l.Kind == LayerKind.SplineCoupling) // only for splines: the other layers' hashes (and checkpoints) stay as they were
                sb.Append(':').Append(l.Bins).Append(':').Append(l.TailBound.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            if (l.Kind == LayerKind.MaskedAutoregressive)
                sb.Append(':').Append(l.Inverse ? "iaf" : "maf");
            if (l.IsSplineMade) // only for spline transforms: affine MADE hashes (and checkpoints) stay as they were
                sb.Append(":spline:").Append(l.Bins).Append(':').Append(l.TailBound.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
