using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;
using GenDsl.Generators.Networks;

namespace GenDsl.Generators.Common;

/// <summary>
/// Emits <c>ExportOnnx</c> for every model kind, as a second part of the generated class that
/// implements <c>GenDsl.Export.IOnnxExportable</c>: one private method per exported part, building
/// the graph through <c>GenDsl.Export.OnnxGraphBuilder</c> (opset 17, float32, dynamic batch).
/// The networks' nodes come from the ops themselves (<see cref="Op.EmitOnnx"/> through
/// <see cref="NetworkEmitter.EmitOnnx"/>); this file adds what the model kind puts around them:
/// the flow layers (couplings, permutations, ActNorm, invertible linear maps, and the image layers: squeezes, splits,
/// 1×1 convolutions, convolutional couplings, per-channel ActNorm) and the base density,
/// the VAE's heads and likelihood mean, the GAN's inputs and logit. Every value is named after the
/// declaration (members, checkpoint tensor names); inputs and outputs are x, y, z, log_prob, mu,
/// log_var and logit.
/// </summary>
internal static class OnnxExportEmitter
{
    private const string Builder = "global::GenDsl.Export.OnnxGraphBuilder";
    private const string Part = "global::GenDsl.Export.OnnxPart";

    // ------------------------------------------------------------------------------------ shared

    /// <summary>
    /// The public members: the parts, the three ExportOnnx overloads and the dispatch to the part methods. The graphs' input
    /// and output names (x, y, z, log_prob, mu, log_var, logit, and <paramref name="extraOutputs"/>) are reserved: no node takes them.
    /// </summary>
    private static void PublicMembers(SourceWriter w, string className, (string Part, string Method)[] parts, params string[] extraOutputs)
    {
        w.Line("/// <summary>The parts <see cref=\"ExportOnnx(string, global::GenDsl.Export.OnnxPart)\"/> writes for this model.</summary>");
        w.Line($"public static global::System.Collections.Generic.IReadOnlyList<{Part}> OnnxParts {{ get; }} = new[] {{ {string.Join(", ", parts.Select(p => $"{Part}.{p.Part}"))} }};");
        w.Line($"global::System.Collections.Generic.IReadOnlyList<{Part}> global::GenDsl.Export.IOnnxExportable.OnnxExportParts => OnnxParts;");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Writes <paramref name=\"part\"/> as an ONNX model (opset 17, float32, a dynamic batch dimension) to <paramref name=\"path\"/>,");
        w.Line("/// with the current parameters as initialisers named as in checkpoints. Throws an IOException naming the path when it cannot be written.");
        w.Line("/// </summary>");
        w.Open($"public void ExportOnnx(string path, {Part} part)");
        w.Line("ArgumentException.ThrowIfNullOrWhiteSpace(path);");
        w.Line($"{Builder}.Write(path, ExportOnnx(part), \"{className}\");");
        w.Close();
        w.Line();
        w.Line($"/// <summary>As <see cref=\"ExportOnnx(string, global::GenDsl.Export.OnnxPart)\"/>, the part by name: {string.Join(", ", parts.Select(p => $"\"{PartName(p.Part)}\""))}.</summary>");
        w.Line($"public void ExportOnnx(string path, string part) => ExportOnnx(path, global::GenDsl.Export.OnnxParts.Parse(part, \"{className}\", OnnxParts));");
        w.Line();
        w.Line("/// <summary>The ONNX model of <paramref name=\"part\"/> as bytes (what the other overloads write).</summary>");
        w.Open($"public byte[] ExportOnnx({Part} part)");
        ModelEmitter.Guard(w, className);
        w.Line($"global::GenDsl.Export.OnnxParts.Check(part, \"{className}\", OnnxParts);");
        w.Line($"var g = new {Builder}(\"{className}\", global::GenDsl.Export.OnnxParts.Name(part), OnnxDoc(part), \"x\", \"y\", \"z\", \"log_prob\", \"mu\", \"log_var\", \"logit\"{string.Concat(extraOutputs.Select(o => $", \"{o}\""))});");
        w.Line($"g.Metadata(\"gendsl.declaration_hash\", DeclarationHash);");
        w.Line("switch (part)");
        w.Open();
        foreach (var (part, method) in parts)
            w.Line($"case {Part}.{part}: {method}(g); break;");
        w.Close();
        w.Line("return g.ToBytes();");
        w.Close();
        w.Line();
    }

    private static string PartName(string part) => part switch
    {
        "LogProb" => "log_prob",
        _ => part.ToLowerInvariant(),
    };

    private static void Doc(SourceWriter w, (string Part, string Text)[] docs)
    {
        w.Line($"private static string OnnxDoc({Part} part) => part switch");
        w.Open();
        foreach (var (part, text) in docs)
            w.Line($"{Part}.{part} => {Lit.Str(text)},");
        w.Line("_ => \"\",");
        w.Close(";");
        w.Line();
    }

    // ------------------------------------------------------------------------------------ flows

    /// <summary>The ONNX export of a flow: <c>sample</c> (z → x, the inverses in reverse order) and <c>log_prob</c> (x → ln p(x)).</summary>
    public static void Flow(SourceWriter w, FlowPlan plan)
    {
        var spec = plan.Spec;
        int D = plan.Features;
        bool cond = plan.Condition > 0;
        string yText = cond ? $" and y [batch, {plan.Condition}]" : "";
        w.Line();
        w.Line("/// <summary>ONNX export (opset 17): the flow's sample and log_prob graphs. See the README, \"Export to ONNX\".</summary>");
        w.Open($"partial class {spec.ClassName} : global::GenDsl.Export.IOnnxExportable");
        PublicMembers(w, spec.ClassName, new[] { ("Sample", "OnnxSample"), ("LogProb", "OnnxLogProb") });
        Doc(w, new[]
        {
            ("Sample", $"{spec.ClassName}.sample: z [batch, {D}]{yText} → x [batch, {D}], x = f(z), the layers' inverses in reverse declaration order."),
            ("LogProb", $"{spec.ClassName}.log_prob: x [batch, {D}]{yText} → log_prob [batch], ln p(x) in nats = −½‖h(x)‖² − (D/2)·ln 2π + ln|det J_h(x)|."),
        });

        // sample: z → x
        w.Line("/// <summary>sample: z → x, the layers' inverses in reverse declaration order.</summary>");
        w.Open($"private void OnnxSample({Builder} g)");
        w.Line($"var v_z = g.Input(\"z\", {D});");
        if (cond) w.Line($"var v_y = g.Input(\"y\", {plan.Condition});");
        string value = "v_z";
        if (plan.HasSplit)
        {
            w.Line($"// z = [the last layer's output | each [Split]'s channels at their places]: the layers' inverses start from its first {plan.LatentWidth} features");
            w.Line($"var v_latentPrefix = g.Columns(\"z.prefix\", v_z, 0, {plan.LatentWidth});");
            value = "v_latentPrefix";
        }
        for (int i = plan.Layers.Count - 1; i >= 0; i--)
            value = plan.Layers[i].Kind == LayerKind.Split
                ? SplitLayer(w, plan.Layers[i], value, inverse: true, null)
                : FlowLayer(w, plan, plan.Layers[i], value, inverse: true, null);
        w.Line($"g.Output({value}, \"x\", {D});");
        w.Close();
        w.Line();

        // log_prob: x → ln p(x)
        w.Line("/// <summary>log_prob: x → z = h(x) with ln|det J_h| per row, then ln p(x) = −½‖z‖² − (D/2)·ln 2π + ln|det J_h|.</summary>");
        w.Open($"private void OnnxLogProb({Builder} g)");
        w.Line($"var v_x = g.Input(\"x\", {D});");
        if (cond) w.Line($"var v_y = g.Input(\"y\", {plan.Condition});");
        value = "v_x";
        var logDet = new List<string>();
        var factored = new List<string>(); // each [Split]'s channels, in declaration order
        foreach (var layer in plan.Layers)
            value = layer.Kind == LayerKind.Split
                ? SplitLayer(w, layer, value, inverse: false, factored)
                : FlowLayer(w, plan, layer, value, inverse: false, logDet);
        if (factored.Count > 0)
        {
            w.Line("// the latent row: the last layer's output, then the split channels at their places (the last split's first)");
            w.Line($"var v_latent = g.Concat(\"z\", 1, {value}, {string.Join(", ", Enumerable.Reverse(factored))});");
            value = "v_latent";
        }
        w.Line("// the base density: ln N(z; 0, I) = −½‖z‖² − (D/2)·ln 2π");
        w.Line($"var v_sumSq = g.SumColumns(\"z.sum_sq\", g.Mul(\"z.sq\", {value}, {value}));");
        w.Line($"var v_logBase = g.Sub(\"log_base\", g.Mul(\"z.half_sum_sq\", v_sumSq, g.Scalar(\"minus_half\", -0.5f)), g.Scalar(\"half_d_log_2pi\", FeatureCount * HalfLog2Pi));");
        if (logDet.Count == 0)
        {
            w.Line("// no layer has a log-determinant (permutations and additive couplings only)");
            w.Line("g.Output(v_logBase, \"log_prob\");");
        }
        else
        {
            w.Line("var v_logDet = " + logDet[0] + ";");
            for (int i = 1; i < logDet.Count; i++)
                w.Line($"v_logDet = g.Add(\"log_det\", v_logDet, {logDet[i]});");
            w.Line("g.Output(g.Add(\"log_prob.sum\", v_logBase, v_logDet), \"log_prob\");");
        }
        w.Close();

        // the coupling networks, shared by both graphs (each graph adds their initialisers once)
        foreach (var layer in plan.Layers.Where(l => l.Network is not null && l.Kind != LayerKind.MaskedAutoregressive))
        {
            w.Line();
            w.Line(layer.ConvCoupling
                ? $"/// <summary>{layer.Name}'s convolutional network {NetworkEmitter.Widths(layer.Network!)} on the image named <paramref name=\"input\"/>: the name of its output [r | m] (or m), channels first.</summary>"
                : $"/// <summary>{layer.Name}'s network {NetworkEmitter.Widths(layer.Network!)} on the value named <paramref name=\"input\"/>: the name of its output [r, m] (or m).</summary>");
            w.Open($"private string {layer.Name}_OnnxNetwork({Builder} g, string input)");
            w.Line($"return {NetworkEmitter.EmitOnnx(w, layer.Network!, "g", "input")};");
            w.Close();
        }

        // the masked autoregressive layers' networks: their parameters are added once per graph, their passes may repeat
        foreach (var layer in plan.Layers.Where(l => l.Kind == LayerKind.MaskedAutoregressive))
            MadeMembers(w, plan, layer);
        w.Close();
    }

    /// <summary>
    /// The members a masked autoregressive layer's graphs call: <c>{n}_OnnxParameters</c> (its initialisers, once per graph),
    /// <c>{n}_OnnxNetwork</c> (one pass of the MADE network on initialisers already added) and <c>{n}_OnnxScaleShift</c>
    /// (s = scale ⊙ tanh(r) and m from one pass; affine transform) or <c>{n}_OnnxTheta</c> (θ from one pass; spline transform).
    /// </summary>
    private static void MadeMembers(SourceWriter w, FlowPlan plan, LayerPlan layer)
    {
        int D = plan.Features;
        string n = layer.Name;
        var net = layer.Network!;
        var nodes = net.Emitting.ToList();
        int lastLayer = nodes.Count - 1;
        bool cond = plan.Condition > 0;
        bool spline = layer.Spec.IsSplineMade;
        int P = layer.SplineParameters;
        string a = layer.Spec.Inverse ? "v" : "u";

        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// {n}'s parameters as initialisers under their checkpoint names, added once per graph (every pass of the network reads");
        w.Line($"/// them): [{string.Join(", ", nodes.Select(node => $"{node.Tensors[0].Name}, {node.Tensors[1].Name}"))}{(spline ? "" : $", {n}.scale")}].");
        w.Line("/// The MADE masks are constants baked into the weights: each W_l is written as M_l ⊙ W_l, which is the stored weight");
        w.Line("/// itself (the layer keeps its masked-out entries at exactly 0), and stays autoregressive even if Parameters were");
        w.Line($"/// written without {n}.ApplyMasks().");
        w.Line("/// </summary>");
        w.Open($"private string[] {n}_OnnxParameters({Builder} g)");
        w.Line($"var p = new string[{2 * nodes.Count + (spline ? 0 : 1)}];");
        foreach (var node in nodes)
        {
            int l = node.Index, outs = node.Out.Size, ins = node.In.Size;
            string role = l == 0 ? $"feature i → unit j iff deg(j) ≥ i + 1{(cond ? ", the condition columns → every unit" : "")}"
                : l == lastLayer ? (spline ? $"unit p → outputs θ_i (rows {P}·i … {P}·i + {P - 1}) iff deg(p) < i + 1" : "unit p → outputs r_i, m_i iff deg(p) < i + 1")
                : "unit p → unit j iff deg(j) ≥ deg(p)";
            w.Line($"var w{l} = _parameters.Span.Slice({node.Const("W")}, {outs * ins}).ToArray();");
            w.Line($"global::GenDsl.Numerics.MadeKernels.ApplyMask(w{l}, {outs}, {ins}, layer: {l}, lastLayer: {lastLayer}, features: {D}{(spline ? $", outputsPerFeature: {P}" : "")}); // M_{l}: {role}");
            w.Line($"p[{2 * l}] = g.Initializer({Lit.Str(node.Tensors[0].Name)}, w{l}, {outs}, {ins});");
            w.Line($"p[{2 * l + 1}] = g.Initializer({Lit.Str(node.Tensors[1].Name)}, _parameters.Span.Slice({node.Const("B")}, {outs}), {outs});");
        }
        if (!spline)
            w.Line($"p[{2 * nodes.Count}] = g.Initializer(\"{n}.scale\", _parameters.Span.Slice({layer.ScaleConst}, {D}), {D});");
        w.Line("return p;");
        w.Close();
        w.Line();

        w.Line($"/// <summary>One pass of {n}'s MADE network {NetworkEmitter.Widths(net)} on the value named <paramref name=\"input\"/> ([{a}{(cond ? ", y" : "")}]), with the initialisers <paramref name=\"p\"/>: the name of o = {(spline ? "[θ_0 | … | θ_(D−1)]" : "[r | m]")}.</summary>");
        w.Open($"private string {n}_OnnxNetwork({Builder} g, string input, string[] p)");
        string h = "input";
        foreach (var node in nodes)
        {
            int l = node.Index;
            string prefix = node.Tensors[0].Name.Substring(0, node.Tensors[0].Name.Length - ".weight".Length);
            w.Line($"// {prefix}: {node.Describe()}   [batch, {node.In.Size}] → [batch, {node.Out.Size}]");
            string linear = $"g.Gemm({Lit.Str(node.Activation == 0 ? prefix : prefix + ".linear")}, {h}, p[{2 * l}], p[{2 * l + 1}])";
            string value = node.Activation == 0 ? linear : $"g.Activation({Lit.Str(prefix)}, {linear}, Activation.{Op.ActivationNames[node.Activation]})";
            w.Line($"var h{l} = {value};");
            h = $"h{l}";
        }
        w.Line($"return {h};");
        w.Close();
        w.Line();

        if (spline)
        {
            w.Line($"/// <summary>{n}'s θ [batch, {P * D}] from one pass of its network on [<paramref name=\"source\"/>{(cond ? ", y" : "")}]: θ_i = columns {P}·i … {P}·i + {P - 1} ({layer.Bins} widths, {layer.Bins} heights, {layer.Bins - 1} derivatives), depending on source_0 … source_(i−1) only.</summary>");
            w.Open($"private string {n}_OnnxTheta({Builder} g, string source, {(cond ? "string y, " : "")}string[] p)");
            w.Line(cond ? $"return {n}_OnnxNetwork(g, g.Concat(\"{n}.input\", 1, source, y), p);" : $"return {n}_OnnxNetwork(g, source, p);");
            w.Close();
            return;
        }

        w.Line($"/// <summary>{n}'s s = scale ⊙ tanh(r) and m (each [batch, {D}]) from one pass of its network on [<paramref name=\"source\"/>{(cond ? ", y" : "")}].</summary>");
        w.Open($"private (string S, string M) {n}_OnnxScaleShift({Builder} g, string source, {(cond ? "string y, " : "")}string[] p)");
        w.Line(cond ? $"var o = {n}_OnnxNetwork(g, g.Concat(\"{n}.input\", 1, source, y), p); // [batch, {2 * D}]" : $"var o = {n}_OnnxNetwork(g, source, p); // [batch, {2 * D}]");
        w.Line($"var s = g.Mul(\"{n}.s\", p[{2 * nodes.Count}], g.Tanh(\"{n}.tanh_r\", g.Columns(\"{n}.r\", o, 0, {D})));");
        w.Line($"return (s, g.Columns(\"{n}.m\", o, {D}, {D}));");
        w.Close();
    }

    /// <summary>
    /// One flow layer, data → latent (<paramref name="inverse"/> false; its ln|det| term, a [batch] or scalar value,
    /// is added to <paramref name="logDet"/>) or latent → data. Returns the C# variable of the layer's output.
    /// </summary>
    private static string FlowLayer(SourceWriter w, FlowPlan plan, LayerPlan layer, string input, bool inverse, List<string>? logDet)
    {
        int D = plan.Features;
        string n = layer.Name;
        string output = $"layer_{n}";
        string dir = inverse ? "inverse" : "forward";
        switch (layer.Kind)
        {
            case LayerKind.AffineCoupling:
            case LayerKind.AdditiveCoupling:
            case LayerKind.SplineCoupling:
            {
                bool affine = layer.Kind == LayerKind.AffineCoupling;
                bool spline = layer.Kind == LayerKind.SplineCoupling;
                bool conv = layer.ConvCoupling;
                int d1 = layer.Kept.Length, d2 = layer.Transformed.Length;
                // the inverse of a merge: cat = [kept, transformed] back into feature order
                var position = new int[layer.Width];
                for (int j = 0; j < d1; j++) position[layer.Kept[j]] = j;
                for (int j = 0; j < d2; j++) position[layer.Transformed[j]] = d1 + j;
                string condText = plan.Condition > 0 ? conv ? ", y as constant channels" : ", y" : "";
                string netReads = (conv && layer.Checkerboard ? (inverse ? "v ⊙ b" : "u ⊙ b") : inverse ? "v_K" : "u_K") + condText;
                w.Line(conv
                    ? $"// {n} ({dir}): {(affine ? "affine" : "additive")} coupling on [{Lit.Ints(layer.InputShape)}], {ImageMaskText(layer)}; convolutional network {NetworkEmitter.Widths(layer.Network!)}"
                    : $"// {n} ({dir}): {(affine ? "affine" : spline ? $"rational-quadratic spline ({layer.Bins} bins on [−B, B], B = {Lit.F(layer.Spec.TailBound)}, linear tails)" : "additive")} coupling, keeps [{Lit.Ints(layer.Kept)}], transforms [{Lit.Ints(layer.Transformed)}]; network {NetworkEmitter.Widths(layer.Network!)}");
                w.Line(spline
                    ? inverse ? $"// u_K = v_K ; u_T = g⁻¹(v_T; θ), θ = net([v_K{condText}]): the quadratic's stable root (bisection where it misses)"
                              : $"// v_K = u_K ; v_T = g(u_T; θ), θ = net([u_K{condText}]) ; ln|det| += Σ ln g′(u_T)"
                    : affine
                    ? inverse ? $"// u_K = v_K ; u_T = v_T ⊙ exp(s) + m, s = scale ⊙ tanh(r), [r, m] = net([{netReads}])"
                              : $"// v_K = u_K ; v_T = (u_T − m) ⊙ exp(−s), s = scale ⊙ tanh(r), [r, m] = net([{netReads}]) ; ln|det| −= Σ s"
                    : inverse ? $"// u_K = v_K ; u_T = v_T + m, m = net([{netReads}])"
                              : $"// v_K = u_K ; v_T = u_T − m, m = net([{netReads}]) ; ln|det| += 0");
                w.Line($"var {output}_kept = g.GatherColumns(\"{n}.kept\", {input}, {n}_Kept);");
                w.Line($"var {output}_t = g.GatherColumns(\"{n}.transformed\", {input}, {n}_Transformed);");
                if (conv)
                    ConvCouplingOutput(w, plan, layer, input, output);
                else
                {
                    string netIn = $"{output}_kept";
                    if (plan.Condition > 0)
                    {
                        w.Line($"var {output}_input = g.Concat(\"{n}.input\", 1, {output}_kept, v_y);");
                        netIn = $"{output}_input";
                    }
                    w.Line($"var {output}_o = {n}_OnnxNetwork(g, {netIn}); // [batch, {layer.NetOut}]");
                }
                string o = $"{output}_o";
                string m = o;
                if (spline)
                {
                    w.Line($"// per transformed feature j, o's columns j·{layer.SplineParameters} … j·{layer.SplineParameters} + {layer.SplineParameters - 1}: {layer.Bins} widths, {layer.Bins} heights, {layer.Bins - 1} derivatives (computed in double, as GenDsl does)");
                    w.Line(inverse
                        ? $"var {output}_new = g.RationalQuadraticSpline(\"{n}.u_t\", {output}_t, {o}, {d2}, {layer.Bins}, {Lit.F(layer.Spec.TailBound)}, inverse: true, out _);"
                        : $"var {output}_new = g.RationalQuadraticSpline(\"{n}.v_t\", {output}_t, {o}, {d2}, {layer.Bins}, {Lit.F(layer.Spec.TailBound)}, inverse: false, out var {output}_logDet);");
                    logDet?.Add($"{output}_logDet!");
                }
                else if (affine)
                {
                    string scale = $"g.Initializer(\"{n}.scale\", _parameters.Span.Slice({layer.ScaleConst}, {(conv ? layer.ScaleLength : d2)}), {(conv ? layer.ScaleLength : d2)})";
                    if (conv) // one scale per head channel: scale[t] at every transformed feature of head channel t
                        scale = $"g.GatherRows(\"{n}.scale_t\", {scale}, global::GenDsl.FlowIndex.HeadChannels({n}_Transformed, {layer.InputShape[1] * layer.InputShape[2]}, {FirstHeadChannel(layer)}))";
                    w.Line($"var {output}_s = g.Mul(\"{n}.s\", {scale}, g.Tanh(\"{n}.tanh_r\", g.Columns(\"{n}.r\", {o}, 0, {d2}))); // s = scale ⊙ tanh(r)");
                    w.Line($"var {output}_m = g.Columns(\"{n}.m\", {o}, {d2}, {d2});");
                    m = $"{output}_m";
                    w.Line(inverse
                        ? $"var {output}_new = g.Add(\"{n}.u_t\", g.Mul(\"{n}.scaled\", {output}_t, g.Exp(\"{n}.exp_s\", {output}_s)), {m}); // u_T = v_T ⊙ exp(s) + m"
                        : $"var {output}_new = g.Mul(\"{n}.v_t\", g.Sub(\"{n}.centred\", {output}_t, {m}), g.Exp(\"{n}.exp_minus_s\", g.Neg(\"{n}.minus_s\", {output}_s))); // v_T = (u_T − m) ⊙ exp(−s)");
                    logDet?.Add($"g.Neg(\"{n}.log_det\", g.SumColumns(\"{n}.sum_s\", {output}_s))");
                }
                else
                {
                    w.Line(inverse
                        ? $"var {output}_new = g.Add(\"{n}.u_t\", {output}_t, {m}); // u_T = v_T + m"
                        : $"var {output}_new = g.Sub(\"{n}.v_t\", {output}_t, {m}); // v_T = u_T − m");
                }
                w.Line(conv // an image mask's tables are computed (GenDsl.FlowIndex), not listed
                    ? $"var {output} = g.GatherColumns(\"{n}\", g.Concat(\"{n}.merged\", 1, {output}_kept, {output}_new), global::GenDsl.FlowIndex.MergePositions({n}_Kept, {n}_Transformed)); // back into feature order"
                    : $"var {output} = g.GatherColumns(\"{n}\", g.Concat(\"{n}.merged\", 1, {output}_kept, {output}_new), [{Lit.Ints(position)}]); // back into feature order");
                break;
            }
            case LayerKind.Permute:
            {
                var inv = Inverse(layer.Order);
                w.Line(inverse
                    ? $"var {output} = g.GatherColumns(\"{n}\", {input}, [{Lit.Ints(inv)}]); // {n} (inverse): u[:, π[j]] = v[:, j]"
                    : $"var {output} = g.GatherColumns(\"{n}\", {input}, {n}_Order); // {n}: v[:, j] = u[:, π[j]]");
                break;
            }
            case LayerKind.Squeeze:
            {
                int C = layer.InputShape[0], H = layer.InputShape[1], W = layer.InputShape[2];
                w.Line($"// {n} ({dir}): 2×2 squeeze [{C}, {H}, {W}] → [{4 * C}, {H / 2}, {W / 2}], torch's view(B, {C}, {H / 2}, 2, {W / 2}, 2).permute(0, 1, 3, 5, 2, 4){(inverse ? ", undone" : "")}");
                w.Line(inverse
                    ? $"var {output} = g.Reshape(\"{n}\", g.Transpose(\"{n}.unpermuted\", g.Reshape(\"{n}.blocks\", {input}, {C}, 2, 2, {H / 2}, {W / 2}), 0, 1, 4, 2, 5, 3), {layer.Width});"
                    : $"var {output} = g.Reshape(\"{n}\", g.Transpose(\"{n}.permuted\", g.Reshape(\"{n}.blocks\", {input}, {C}, {H / 2}, 2, {W / 2}, 2), 0, 1, 3, 5, 2, 4), {layer.Width});");
                break;
            }
            case LayerKind.ActNorm:
            {
                // in an image flow per channel: the rows viewed as [batch, C, H·W], ls and b as [C, 1] columns
                bool image = layer.IsImageActNorm;
                int width = image ? layer.InputShape[0] : D, P = image ? layer.InputShape[1] * layer.InputShape[2] : 1;
                w.Line(image
                    ? $"// {n} ({dir}): ActNorm per channel of [{Lit.Ints(layer.InputShape)}], {(inverse ? "u[c, p] = (v[c, p] − b_c)·exp(−ls_c)" : $"v[c, p] = u[c, p]·exp(ls_c) + b_c ; ln|det| += {P}·Σ ls")}"
                    : $"// {n} ({dir}): ActNorm {(inverse ? "u = (v − b) ⊙ exp(−ls)" : "v = u ⊙ exp(ls) + b ; ln|det| += Σ ls")}");
                string ls = $"g.Initializer(\"{n}.logscale\", _parameters.Span.Slice({layer.LogScaleConst}, {width}), {width})";
                string b = $"g.Initializer(\"{n}.bias\", _parameters.Span.Slice({layer.BiasConst}, {width}), {width})";
                w.Line($"var {output}_ls = {(image ? $"g.Reshape(\"{n}.logscale_column\", {ls}, {width}, 1)" : ls)};");
                w.Line($"var {output}_b = {(image ? $"g.Reshape(\"{n}.bias_column\", {b}, {width}, 1)" : b)};");
                string x = input, result = n;
                if (image)
                {
                    w.Line($"var {output}_channels = g.Reshape(\"{n}.channels\", {input}, {width}, {P}); // [batch, {width} channels, {P} pixels]");
                    x = $"{output}_channels";
                    result = inverse ? $"{n}.unscaled" : $"{n}.shifted";
                }
                string map = inverse
                    ? $"g.Mul(\"{result}\", g.Sub(\"{n}.centred\", {x}, {output}_b), g.Exp(\"{n}.exp_minus_ls\", g.Neg(\"{n}.minus_ls\", {output}_ls)))"
                    : $"g.Add(\"{result}\", g.Mul(\"{n}.scaled\", {x}, g.Exp(\"{n}.exp_ls\", {output}_ls)), {output}_b)";
                w.Line($"var {output} = {(image ? $"g.Reshape(\"{n}\", {map}, {layer.Width})" : map)};");
                logDet?.Add(image
                    ? $"g.Mul(\"{n}.log_det\", g.SumAll(\"{n}.sum_ls\", {output}_ls), g.Scalar(\"{n}.pixels\", {P}f))"
                    : $"g.SumAll(\"{n}.log_det\", {output}_ls)");
                break;
            }
            case LayerKind.InvertibleLinear:
            case LayerKind.InvertibleConv1x1:
            {
                // InvertibleConv1x1: the same C×C matrix at every pixel of [C, H, W] (rows viewed as [batch, C, H·W], W·u per row)
                bool conv = layer.Kind == LayerKind.InvertibleConv1x1;
                int d = conv ? layer.InputShape[0] : D, P = conv ? layer.InputShape[1] * layer.InputShape[2] : 1;
                w.Line(conv
                    ? $"// {n} ({dir}): invertible 1×1 convolution on [{Lit.Ints(layer.InputShape)}], W = P·L·Ũ over the {d} channels (InvertibleLinear's LU form), applied at every pixel"
                    : $"// {n} ({dir}): invertible linear, W = P·L·Ũ, L = I + strictly-lower(lower), Ũ = strictly-upper(upper) + diag(exp(logs)), W[i, :] = (L·Ũ)[π[i], :]");
                w.Line(inverse
                    ? $"// u = W⁻¹ v {(conv ? "per pixel: W⁻¹ = Ũ⁻¹·L⁻¹·Pᵀ with L⁻¹ and" : "per row: t = Pᵀ v, then L⁻¹ and")} Ũ⁻¹ = (I + diag(exp(−logs))·U)⁻¹·diag(exp(−logs)), unit-triangular inverses as finite Neumann products"
                    : conv ? $"// v = W·u per pixel ; ln|det| += {P}·Σ logs" : "// v = u · Wᵀ ; ln|det| += Σ logs");
                w.Line($"var {output}_lower = g.StrictTriangle(\"{n}.strict_lower\", g.Initializer(\"{n}.lower\", _parameters.Span.Slice({layer.LowerConst}, {d * d}), {d}, {d}), {d}, lower: true);");
                w.Line($"var {output}_upper = g.StrictTriangle(\"{n}.strict_upper\", g.Initializer(\"{n}.upper\", _parameters.Span.Slice({layer.UpperConst}, {d * d}), {d}, {d}), {d}, lower: false);");
                w.Line($"var {output}_logs = g.Initializer(\"{n}.logs\", _parameters.Span.Slice({layer.LogSConst}, {d}), {d});");
                if (conv)
                    w.Line($"var {output}_channels = g.Reshape(\"{n}.channels\", {input}, {d}, {P}); // [batch, {d} channels, {P} pixels]");
                if (!inverse)
                {
                    w.Line($"var {output}_eye = g.Identity(\"{n}.I\", {d});");
                    w.Line($"var {output}_l = g.Add(\"{n}.L\", {output}_eye, {output}_lower);");
                    w.Line($"var {output}_u = g.Add(\"{n}.U\", {output}_upper, g.Mul(\"{n}.diag\", {output}_eye, g.Reshape(\"{n}.exp_logs_column\", g.Exp(\"{n}.exp_logs\", {output}_logs), 1)));");
                    w.Line($"var {output}_w = g.GatherRows(\"{n}.W\", g.MatMul(\"{n}.LU\", {output}_l, {output}_u), {n}_Order);");
                    w.Line(conv
                        ? $"var {output} = g.Reshape(\"{n}\", g.MatMul(\"{n}.mixed\", {output}_w, {output}_channels), {layer.Width});"
                        : $"var {output} = g.MatMulTransposed(\"{n}\", {input}, {output}_w);");
                    logDet?.Add(conv
                        ? $"g.Mul(\"{n}.log_det\", g.SumAll(\"{n}.sum_logs\", {output}_logs), g.Scalar(\"{n}.pixels\", {P}f))"
                        : $"g.SumAll(\"{n}.log_det\", {output}_logs)");
                }
                else
                {
                    if (!conv)
                        w.Line($"var {output}_t = g.GatherColumns(\"{n}.unpermuted\", {input}, [{Lit.Ints(Inverse(layer.Order))}]); // t[:, π[i]] = v[:, i]");
                    w.Line($"var {output}_lInv = g.UnitTriangularInverse(\"{n}.L_inv\", {output}_lower, {d});");
                    w.Line($"var {output}_expMinusLogs = g.Exp(\"{n}.exp_minus_logs\", g.Neg(\"{n}.minus_logs\", {output}_logs));");
                    w.Line($"var {output}_m = g.Mul(\"{n}.M\", {output}_upper, g.Reshape(\"{n}.exp_minus_logs_column\", {output}_expMinusLogs, 1)); // M = diag(exp(−logs))·U, strictly upper");
                    w.Line($"var {output}_uInv = g.Mul(\"{n}.U_inv\", g.UnitTriangularInverse(\"{n}.M_inv\", {output}_m, {d}), {output}_expMinusLogs); // Ũ⁻¹ = (I + M)⁻¹·diag(exp(−logs))");
                    if (conv)
                    {
                        w.Line($"var {output}_wInv = g.GatherColumns(\"{n}.W_inv\", g.MatMul(\"{n}.LU_inv\", {output}_uInv, {output}_lInv), {n}_Order); // (Ũ⁻¹·L⁻¹·Pᵀ)[:, j] = (Ũ⁻¹·L⁻¹)[:, π[j]]");
                        w.Line($"var {output} = g.Reshape(\"{n}\", g.MatMul(\"{n}.unmixed\", {output}_wInv, {output}_channels), {layer.Width});");
                    }
                    else
                    {
                        w.Line($"var {output} = g.MatMulTransposed(\"{n}\", g.MatMulTransposed(\"{n}.solved_l\", {output}_t, {output}_lInv), {output}_uInv);");
                    }
                }
                break;
            }
            case LayerKind.MaskedAutoregressive when !layer.Spec.IsSplineMade:
            {
                bool iaf = layer.Spec.Inverse;
                bool cond = plan.Condition > 0;
                string y = cond ? "v_y, " : "";
                w.Line($"// {n} ({dir}): masked autoregressive layer ({(iaf ? "IAF" : "MAF")}), MADE network {NetworkEmitter.Widths(layer.Network!)}; s = scale ⊙ tanh(r), [r, m] = net([{(iaf ? "v" : "u")}{(cond ? ", y" : "")}])");
                w.Line($"var {output}_p = {n}_OnnxParameters(g);");
                if (iaf == inverse)
                {
                    // one pass: MAF data → latent (the network reads u, the input), IAF latent → data (it reads v, the input)
                    w.Line($"var ({output}_s, {output}_m) = {n}_OnnxScaleShift(g, {input}, {y}{output}_p); // one pass");
                    w.Line(inverse
                        ? $"var {output} = g.Add(\"{n}.u\", g.Mul(\"{n}.scaled\", {input}, g.Exp(\"{n}.exp_s\", {output}_s)), {output}_m); // u = v ⊙ exp(s) + m"
                        : $"var {output} = g.Mul(\"{n}.v\", g.Sub(\"{n}.centred\", {input}, {output}_m), g.Exp(\"{n}.exp_minus_s\", g.Neg(\"{n}.minus_s\", {output}_s))); // v = (u − m) ⊙ exp(−s)");
                }
                else
                {
                    // D passes: the network reads the side being computed (MAF latent → data: u; IAF data → latent: v)
                    string found = inverse ? "u" : "v";
                    w.Line($"// {D} passes, unrolled in the graph (D is a compile-time constant): pass k makes {found}_0 … {found}_(k−1) exact, since r_i and m_i");
                    w.Line($"// depend on {found}_0 … {found}_(i−1) alone (every other weight is exactly 0). The first pass starts from the input (any finite");
                    w.Line("// start gives the same result); GenDsl's loop computes the same values one column per pass.");
                    w.Line($"var {output} = {input};");
                    if (logDet is not null)
                        w.Line($"var {output}_s = \"\";");
                    w.Open($"for (int pass = 0; pass < {D}; pass++)");
                    w.Line($"(var s, var m) = {n}_OnnxScaleShift(g, {output}, {y}{output}_p);");
                    w.Line(inverse
                        ? $"{output} = g.Add(\"{n}.u\", g.Mul(\"{n}.scaled\", {input}, g.Exp(\"{n}.exp_s\", s)), m); // u = v ⊙ exp(s) + m"
                        : $"{output} = g.Mul(\"{n}.v\", g.Sub(\"{n}.centred\", {input}, m), g.Exp(\"{n}.exp_minus_s\", g.Neg(\"{n}.minus_s\", s))); // v = (u − m) ⊙ exp(−s)");
                    if (logDet is not null)
                        w.Line($"{output}_s = s; // the last pass's s is exact in every column (it read the exact {found}_0 … {found}_(D−2))");
                    w.Close();
                }
                logDet?.Add($"g.Neg(\"{n}.log_det\", g.SumColumns(\"{n}.sum_s\", {output}_s))");
                break;
            }
            case LayerKind.MaskedAutoregressive:
            {
                // the spline transform: v_i = g(u_i; θ_i), the spline coupling's rational-quadratic spline on every feature
                bool iaf = layer.Spec.Inverse;
                bool cond = plan.Condition > 0;
                string y = cond ? "v_y, " : "";
                string spline = $"{D}, {layer.Bins}, {Lit.F(layer.Spec.TailBound)}"; // features, bins, tail bound
                w.Line($"// {n} ({dir}): masked autoregressive spline layer ({(iaf ? "IAF" : "MAF")}), MADE network {NetworkEmitter.Widths(layer.Network!)}; θ = net([{(iaf ? "v" : "u")}{(cond ? ", y" : "")}]),");
                w.Line($"// θ_i = columns {layer.SplineParameters}·i … {layer.SplineParameters}·i + {layer.SplineParameters - 1}: {layer.Bins} widths, {layer.Bins} heights, {layer.Bins - 1} derivatives; {(inverse ? "u_i = g⁻¹(v_i; θ_i)" : "v_i = g(u_i; θ_i) ; ln|det| += Σ ln g′(u_i)")}");
                w.Line($"// on [−B, B], B = {layer.Spec.TailBound.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, identity outside (computed in double, as GenDsl does)");
                w.Line($"var {output}_p = {n}_OnnxParameters(g);");
                if (iaf == inverse)
                {
                    // one pass: MAF data → latent (the network reads u, the input), IAF latent → data (it reads v, the input)
                    w.Line(inverse
                        ? $"var {output} = g.RationalQuadraticSpline(\"{n}.u\", {input}, {n}_OnnxTheta(g, {input}, {y}{output}_p), {spline}, inverse: true, out _); // one pass"
                        : $"var {output} = g.RationalQuadraticSpline(\"{n}.v\", {input}, {n}_OnnxTheta(g, {input}, {y}{output}_p), {spline}, inverse: false, out var {output}_logDet); // one pass");
                }
                else
                {
                    // D passes: the network reads the side being computed (MAF latent → data: u; IAF data → latent: v)
                    string found = inverse ? "u" : "v";
                    w.Line($"// {D} passes, unrolled in the graph (D is a compile-time constant): pass k makes {found}_0 … {found}_(k−1) exact, since θ_i");
                    w.Line($"// depends on {found}_0 … {found}_(i−1) alone (every other weight is exactly 0). The first pass starts from the input (any finite");
                    w.Line("// start gives the same result); GenDsl's loop computes the same values one column per pass.");
                    w.Line($"var {output} = {input};");
                    if (logDet is not null)
                        w.Line($"string? {output}_logDet = null;");
                    w.Open($"for (int pass = 0; pass < {D}; pass++)");
                    w.Line(inverse
                        ? $"{output} = g.RationalQuadraticSpline(\"{n}.u\", {input}, {n}_OnnxTheta(g, {output}, {y}{output}_p), {spline}, inverse: true, out _);"
                        : $"{output} = g.RationalQuadraticSpline(\"{n}.v\", {input}, {n}_OnnxTheta(g, {output}, {y}{output}_p), {spline}, inverse: false, out {output}_logDet); // the last pass's ln g′ is exact in every column");
                    w.Close();
                }
                logDet?.Add($"{output}_logDet!");
                break;
            }
            default:
                w.Line($"var {output} = g.Unsupported(\"{n}\", \"{layer.Kind}\"); // {n}: no ONNX form yet (throws)");
                break;
        }
        return output;
    }

    /// <summary>
    /// A [Split] (no parameters, ln|det| += 0): data → latent, the factored-out features Da … Dp−1 of the active prefix are
    /// added to <paramref name="factored"/> (they are the latent's at their own places) and the output is the prefix 0 … Da−1;
    /// latent → data, the prefix is followed again by z's features Da … Dp−1.
    /// </summary>
    private static string SplitLayer(SourceWriter w, LayerPlan layer, string input, bool inverse, List<string>? factored)
    {
        string n = layer.Name, output = $"layer_{n}";
        int da = layer.OutWidth, dp = layer.Width;
        w.Line($"// {n} ({(inverse ? "inverse" : "forward")}): split of [{Lit.Ints(layer.InputShape)}], channels {layer.OutputShape[0]} … {layer.InputShape[0] - 1} (features {da} … {dp - 1}) {(inverse ? "come back from z" : "go to the latent at their places")}; the later layers act on features 0 … {da - 1}");
        if (inverse)
        {
            w.Line($"var {output} = g.Concat(\"{n}\", 1, {input}, g.Columns(\"{n}.from_z\", v_z, {da}, {dp - da}));");
            return output;
        }
        w.Line($"var {output}_out = g.Columns(\"{n}.factored\", {input}, {da}, {dp - da});");
        w.Line($"var {output} = g.Columns(\"{n}\", {input}, 0, {da});");
        factored!.Add($"{output}_out");
        return output;
    }

    /// <summary>The network output of a convolutional coupling as the compact [r_T | m_T] (or m_T) the coupling reads: <c>{output}_o</c>.</summary>
    private static void ConvCouplingOutput(SourceWriter w, FlowPlan plan, LayerPlan layer, string input, string output)
    {
        string n = layer.Name;
        int C = layer.InputShape[0], H = layer.InputShape[1], W = layer.InputShape[2];
        int inChannels = layer.Checkerboard ? C : layer.Kept.Length / (H * W);
        string image;
        if (layer.Checkerboard)
        {
            w.Line($"var {output}_b = new float[{layer.Width}]; // b: 1 at the kept pixels of every channel, 0 at the transformed ones");
            w.Line($"global::System.Array.Fill({output}_b, 1f);");
            w.Line($"foreach (int j in {n}_Transformed) {output}_b[j] = 0f;");
            w.Line($"var {output}_image = g.Reshape(\"{n}.masked_image\", g.Mul(\"{n}.masked\", {input}, g.Constant(\"{n}.b\", {output}_b, {layer.Width})), {C}, {H}, {W}); // u ⊙ b as [{C}, {H}, {W}]");
        }
        else
            w.Line($"var {output}_image = g.Reshape(\"{n}.kept_image\", {output}_kept, {inChannels}, {H}, {W}); // the kept channels as [{inChannels}, {H}, {W}]");
        image = $"{output}_image";
        if (plan.Condition > 0)
        {
            var s = plan.Spec;
            w.Line(s.ConditionImage.IsSet
                ? $"var {output}_input = g.Concat(\"{n}.input\", 1, {image}, g.ConditionImage(\"{n}.y_image\", v_y, {s.ConditionImage.Channels}, {s.ConditionImage.Height}, {s.ConditionImage.Width}, {H}, {W})); // y [{s.ConditionImage.Channels}, {s.ConditionImage.Height}, {s.ConditionImage.Width}] resized to {H}×{W} fills channels {inChannels} … {inChannels + s.ConditionImage.Channels - 1}"
                : $"var {output}_input = g.Concat(\"{n}.input\", 1, {image}, g.ConditionChannels(\"{n}.y_channels\", v_y, {plan.Condition}, {H}, {W})); // y_k fills channel {inChannels} + k");
            image = $"{output}_input";
        }
        string net = $"g.Flatten(\"{n}.net_flat\", {n}_OnnxNetwork(g, {image}))";
        w.Line(layer.Checkerboard
            ? $"var {output}_o = g.GatherColumns(\"{n}.o\", {net}, {n}_HeadColumns); // [batch, {layer.NetOut}]: the output at the transformed pixels, [r_T{(layer.Kind == LayerKind.AffineCoupling ? " | m_T" : "")}]"
            : $"var {output}_o = {net}; // [batch, {layer.NetOut}]: channels [r | m] (or m) of the transformed channels, flat, are [r_T | m_T]");
    }

    /// <summary>A convolutional coupling's first transformed channel (0 for a checkerboard): head channel t of transformed feature j is j / P − this.</summary>
    private static int FirstHeadChannel(LayerPlan layer) =>
        layer.Checkerboard ? 0 : layer.Transformed[0] / (layer.InputShape[1] * layer.InputShape[2]);

    /// <summary>A convolutional coupling's mask in words.</summary>
    private static string ImageMaskText(LayerPlan layer)
    {
        int P = layer.InputShape[1] * layer.InputShape[2];
        return layer.Checkerboard
            ? $"checkerboard: keeps the pixels with h + w {(layer.Spec.Mask == FlowMath.MaskCheckerboardEven ? "even" : "odd")} of every channel, the network reads u ⊙ b"
            : $"keeps channels {layer.Kept[0] / P} … {layer.Kept[layer.Kept.Length - 1] / P}, transforms channels {layer.Transformed[0] / P} … {layer.Transformed[layer.Transformed.Length - 1] / P}";
    }

    private static int[] Inverse(int[] order)
    {
        var inv = new int[order.Length];
        for (int j = 0; j < order.Length; j++)
            if (order[j] >= 0 && order[j] < order.Length)
                inv[order[j]] = j;
        return inv;
    }

    // ------------------------------------------------------------------------------------ VAEs and GANs

    /// <summary>The ONNX export of a VAE (<c>encode</c>, <c>decode</c>) or a GAN (<c>generate</c>, <c>discriminate</c>).</summary>
    public static void Net(SourceWriter w, NetModelPlan plan)
    {
        var spec = plan.Spec;
        bool vae = spec.Kind == NetKind.Vae;
        bool cond = plan.K > 0;
        int D = plan.D, Z = plan.Z, K = plan.K;
        string yText = cond ? $" and y [batch, {K}]" : "";
        string image = spec.HasImageShape ? $" (a {spec.Channels}×{spec.Height}×{spec.Width} image per row, flat, channel-major)" : "";
        w.Line();
        w.Line($"/// <summary>ONNX export (opset 17): the {(vae ? "VAE's encode and decode" : "GAN's generate and discriminate")} graphs. See the README, \"Export to ONNX\".</summary>");
        w.Open($"partial class {spec.ClassName} : global::GenDsl.Export.IOnnxExportable");
        if (vae)
        {
            PublicMembers(w, spec.ClassName, new[] { ("Encode", "OnnxEncode"), ("Decode", "OnnxDecode") });
            string mean = spec.Likelihood switch { 0 => "the Bernoulli probabilities σ(logits)", 1 => "the mean of p(x|z) (the log-variance columns are dropped)", _ => "the mean of p(x|z)" };
            Doc(w, new[]
            {
                ("Encode", $"{spec.ClassName}.encode: x [batch, {D}]{image}{yText} → mu [batch, {Z}], log_var [batch, {Z}] of q(z|x)."),
                ("Decode", $"{spec.ClassName}.decode: z [batch, {Z}]{yText} → x [batch, {D}]{image}, {mean}."),
            });

            w.Line("/// <summary>encode: x (with y) → the encoder → its head [μ, ln σ²].</summary>");
            w.Open($"private void OnnxEncode({Builder} g)");
            string head = NetFromData(w, plan, plan.A);
            w.Line($"g.Output(g.Columns(\"mu.columns\", {head}, 0, {Z}), \"mu\", {Z});");
            w.Line($"g.Output(g.Columns(\"log_var.columns\", {head}, {Z}, {Z}), \"log_var\", {Z});");
            w.Close();
            w.Line();

            w.Line("/// <summary>decode: [z, y] → the decoder → " + mean + ".</summary>");
            w.Open($"private void OnnxDecode({Builder} g)");
            string o = NetFromLatent(w, plan, plan.B);
            switch (spec.Likelihood)
            {
                case 0:
                    w.Line($"g.Output(g.Activation(\"probabilities\", {o}, Activation.Sigmoid), \"x\", {D}); // Bernoulli: p = σ(logits)");
                    break;
                case 1:
                    w.Line($"g.Output(g.Columns(\"mean\", {o}, 0, {D}), \"x\", {D}); // [mean, ln σ²]: the mean");
                    break;
                default:
                    w.Line($"g.Output({o}, \"x\", {D}); // the mean (σ is fixed)");
                    break;
            }
            w.Close();
        }
        else
        {
            PublicMembers(w, spec.ClassName, new[] { ("Generate", "OnnxGenerate"), ("Discriminate", "OnnxDiscriminate") });
            Doc(w, new[]
            {
                ("Generate", $"{spec.ClassName}.generate: z [batch, {Z}]{yText} → x [batch, {D}]{image}, x = G(z)."),
                ("Discriminate", $"{spec.ClassName}.discriminate: x [batch, {D}]{image}{yText} → logit [batch], {(plan.Wasserstein ? "the critic's score" : "the discriminator's logit (P(real) = σ(logit))")}."),
            });

            w.Line("/// <summary>generate: [z, y] → the generator → x.</summary>");
            w.Open($"private void OnnxGenerate({Builder} g)");
            string o = NetFromLatent(w, plan, plan.A);
            w.Line($"g.Output({o}, \"x\", {D});");
            w.Close();
            w.Line();

            w.Line("/// <summary>discriminate: x (with y) → the discriminator → logit.</summary>");
            w.Open($"private void OnnxDiscriminate({Builder} g)");
            string logit = NetFromData(w, plan, plan.B);
            w.Line($"g.Output(g.Reshape(\"logit.column\", {logit}), \"logit\"); // [batch, 1] → [batch]");
            w.Close();
        }
        w.Close();
    }

    // ------------------------------------------------------------------------------------ regressors

    /// <summary>The ONNX export of a [Regressor]: <c>predict</c> (y → x̂ = f(y)).</summary>
    public static void Regressor(SourceWriter w, RegressorPlan plan)
    {
        var spec = plan.Spec;
        int D = plan.D, K = plan.K;
        string image = spec.HasImageShape ? $" (a {spec.Channels}×{spec.Height}×{spec.Width} image per row, flat, channel-major)" : "";
        string input = spec.ConditionImage.IsSet ? $" (a {spec.ConditionImage.Channels}×{spec.ConditionImage.Height}×{spec.ConditionImage.Width} image per row, flat)" : "";
        w.Line();
        w.Line("/// <summary>ONNX export (opset 17): the regressor's predict graph. See the README, \"Export to ONNX\".</summary>");
        w.Open($"partial class {spec.ClassName} : global::GenDsl.Export.IOnnxExportable");
        PublicMembers(w, spec.ClassName, new[] { ("Predict", "OnnxPredict") });
        Doc(w, new[] { ("Predict", $"{spec.ClassName}.predict: y [batch, {K}]{input} → x [batch, {D}]{image}, x̂ = f(y).") });
        w.Line("/// <summary>predict: y → the predictor → x̂.</summary>");
        w.Open($"private void OnnxPredict({Builder} g)");
        w.Line($"var v_y = g.Input(\"y\", {K});");
        string o = Flat(w, plan.Net, NetworkEmitter.EmitOnnx(w, plan.Net, "g", "v_y"));
        w.Line($"g.Output({o}, \"x\", {D});");
        w.Close();
        w.Close();
    }

    // ------------------------------------------------------------------------------------ semi-supervised VAEs (M2)

    /// <summary>
    /// The ONNX export of a [SemiSupervisedVae] (M2): <c>encode</c> (x, y → μ, ln σ² of q(z|x,y)), <c>decode</c> (z, y → the
    /// Bernoulli probabilities of p(x|y,z)) and <c>classify</c> (x → q(y|x)). y is a row of K values, the one-hot class
    /// (what GenDsl's Encode and Decode build from their class indices); other rows are fed to the networks as they are.
    /// </summary>
    public static void SemiSupervised(SourceWriter w, SemiSupervisedPlan plan)
    {
        var spec = plan.Spec;
        int D = plan.D, Z = plan.Z, K = plan.K;
        string image = spec.HasImageShape ? $" (a {spec.Channels}×{spec.Height}×{spec.Width} image per row, flat, channel-major)" : "";
        w.Line();
        w.Line("/// <summary>ONNX export (opset 17): the M2's encode, decode and classify graphs. See the README, \"Export to ONNX\".</summary>");
        w.Open($"partial class {spec.ClassName} : global::GenDsl.Export.IOnnxExportable");
        PublicMembers(w, spec.ClassName, new[] { ("Encode", "OnnxEncode"), ("Decode", "OnnxDecode"), ("Classify", "OnnxClassify") }, "probabilities");
        Doc(w, new[]
        {
            ("Encode", $"{spec.ClassName}.encode: x [batch, {D}]{image} and y [batch, {K}] (one-hot class) → mu [batch, {Z}], log_var [batch, {Z}] of q(z|x,y)."),
            ("Decode", $"{spec.ClassName}.decode: z [batch, {Z}] and y [batch, {K}] (one-hot class) → x [batch, {D}]{image}, the Bernoulli probabilities σ(logits) of p(x|y,z)."),
            ("Classify", $"{spec.ClassName}.classify: x [batch, {D}]{image} → probabilities [batch, {K}], q(y|x) = softmax of the classifier's logits."),
        });

        w.Line("/// <summary>encode: [x, y] (y as constant channels for images) → the encoder → its head [μ, ln σ²].</summary>");
        w.Open($"private void OnnxEncode({Builder} g)");
        string head = NetFromData(w, spec, D, K, plan.Encoder);
        w.Line($"g.Output(g.Columns(\"mu.columns\", {head}, 0, {Z}), \"mu\", {Z});");
        w.Line($"g.Output(g.Columns(\"log_var.columns\", {head}, {Z}, {Z}), \"log_var\", {Z});");
        w.Close();
        w.Line();

        w.Line("/// <summary>decode: [z, y] → the decoder → the Bernoulli probabilities σ(logits).</summary>");
        w.Open($"private void OnnxDecode({Builder} g)");
        string o = NetFromLatent(w, Z, K, plan.Decoder);
        w.Line($"g.Output(g.Activation(\"probabilities\", {o}, Activation.Sigmoid), \"x\", {D}); // Bernoulli: p = σ(logits)");
        w.Close();
        w.Line();

        w.Line("/// <summary>classify: x → the classifier → q(y|x) = softmax(logits) over the K classes.</summary>");
        w.Open($"private void OnnxClassify({Builder} g)");
        string logits = NetFromData(w, spec, D, 0, plan.Classifier);
        w.Line($"g.Output(g.Softmax(\"softmax\", {logits}), \"probabilities\", {K}); // q(y|x)");
        w.Close();
        w.Close();
    }

    /// <summary>The inputs x (and y) of a network that reads data (encoder, discriminator), the network, and its output as [batch, n].</summary>
    private static string NetFromData(SourceWriter w, NetModelPlan plan, NetworkPlan net) => NetFromData(w, plan.Spec, plan.D, plan.K, net);

    /// <summary>
    /// The inputs x (and y [batch, <paramref name="k"/>] when k > 0: appended as columns, or for image data as k constant
    /// channels) of a network that reads data, the network, and its output as [batch, n].
    /// </summary>
    private static string NetFromData(SourceWriter w, NetModelSpec spec, int d, int k, NetworkPlan net)
    {
        w.Line($"var v_x = g.Input(\"x\", {d});");
        if (k > 0) w.Line($"var v_y = g.Input(\"y\", {k});");
        string input = "v_x";
        if (spec.HasImageShape)
        {
            w.Line($"var v_image = g.Reshape(\"x.image\", v_x, {spec.Channels}, {spec.Height}, {spec.Width}); // rows are {spec.Channels}×{spec.Height}×{spec.Width} images, channel-major");
            input = "v_image";
            if (k > 0)
            {
                w.Line(spec.ConditionImage.IsSet
                    ? $"var v_input = g.Concat(\"{net.Name}.input\", 1, v_image, g.ConditionImage(\"y.image\", v_y, {spec.ConditionImage.Channels}, {spec.ConditionImage.Height}, {spec.ConditionImage.Width}, {spec.Height}, {spec.Width})); // y [{spec.ConditionImage.Channels}, {spec.ConditionImage.Height}, {spec.ConditionImage.Width}] resized to {spec.Height}×{spec.Width} fills channels {spec.Channels} … {spec.Channels + spec.ConditionImage.Channels - 1}"
                    : $"var v_input = g.Concat(\"{net.Name}.input\", 1, v_image, g.ConditionChannels(\"y.channels\", v_y, {k}, {spec.Height}, {spec.Width})); // y_k fills channel {spec.Channels} + k");
                input = "v_input";
            }
        }
        else if (k > 0)
        {
            w.Line($"var v_input = g.Concat(\"{net.Name}.input\", 1, v_x, v_y); // [x, y]");
            input = "v_input";
        }
        return Flat(w, net, NetworkEmitter.EmitOnnx(w, net, "g", input));
    }

    /// <summary>The inputs z (and y) of a network that reads the latent (decoder, generator), the network, and its output as [batch, n].</summary>
    private static string NetFromLatent(SourceWriter w, NetModelPlan plan, NetworkPlan net) => NetFromLatent(w, plan.Z, plan.K, net);

    /// <summary>The inputs z (and y [batch, <paramref name="k"/>] when k > 0) of a network that reads the latent, the network, and its output as [batch, n].</summary>
    private static string NetFromLatent(SourceWriter w, int z, int k, NetworkPlan net)
    {
        w.Line($"var v_z = g.Input(\"z\", {z});");
        string input = "v_z";
        if (k > 0)
        {
            w.Line($"var v_y = g.Input(\"y\", {k});");
            w.Line($"var v_input = g.Concat(\"{net.Name}.input\", 1, v_z, v_y); // [z, y]");
            input = "v_input";
        }
        return Flat(w, net, NetworkEmitter.EmitOnnx(w, net, "g", input));
    }

    private static string Flat(SourceWriter w, NetworkPlan net, string output)
    {
        if (net.OutputShape.IsVector)
            return output;
        w.Line($"var v_{net.Name}Flat = g.Flatten(\"{net.Name}.flat\", {output}); // {net.OutputShape} → [batch, {net.OutputShape.Size}], channel-major");
        return $"v_{net.Name}Flat";
    }
}
