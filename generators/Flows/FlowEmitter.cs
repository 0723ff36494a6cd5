using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Common;
using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Flows;

/// <summary>
/// Writes the C# of a flow: constants for every shape and offset, one forward and one backward method
/// per layer side by side, and the public API. The emitted code calls the runtime's GEMM (with fused
/// bias + activation epilogues) for the networks and <c>CouplingKernels</c> for each coupling's map,
/// one whole-batch call per step.
/// </summary>
internal static class FlowEmitter
{
    private static string[] ActivationNames => Op.ActivationNames;

    public static string Emit(FlowPlan plan)
    {
        var w = new SourceWriter();
        var spec = plan.Spec;
        int D = plan.Features;
        bool cond = plan.Condition > 0;
        int n = plan.Layers.Count;

        ModelEmitter.Header(w, "Flow", spec.FullName, spec.Namespace, "Do not edit: change the declaration instead. Layers run in declaration order from data X to latent Z.");

        string yParam = cond ? "ReadOnlySpan2D<float> y, " : "";
        string yArg = cond ? "y, " : "";
        string yDoc = cond ? "<param name=\"y\">The condition, one row of " + plan.Condition + " values per example.</param>" : "";

        string over = plan.ImageShape is { } shape ? $"{D} features (images [{Lit.Ints(shape)}], channel-major; latent [{Lit.Ints(plan.LatentShape!)}])" : $"{D} features";
        w.Line($"/// <summary>Flow over {over}{(cond ? $", conditioned on {plan.Condition} values" : "")}: {n} layers, {plan.ParameterCount} parameters.</summary>");
        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"GenDsl.Generators\", \"1.0.0\")]");
        w.Open($"partial class {spec.ClassName} : IFlowModel");

        // ---------------------------------------------------------------- constants
        w.Line($"/// <summary>Columns of a data row (and of the latent).</summary>");
        w.Line($"public const int FeatureCount = {D};");
        if (plan.ImageShape is { } image)
        {
            w.Line($"/// <summary>The image shape [C, H, W] of a data row, stored channel-major (C·H·W = FeatureCount).</summary>");
            w.Line($"public const int ImageChannels = {image[0]}, ImageHeight = {image[1]}, ImageWidth = {image[2]};");
        }
        w.Line($"/// <summary>Columns of the condition Y (0: unconditional).</summary>");
        w.Line($"public const int ConditionCount = {plan.Condition};");
        w.Line($"/// <summary>Learned parameters (without the arena's alignment padding).</summary>");
        w.Line($"public const int TotalParameters = {plan.ParameterCount};");
        w.Line($"/// <summary>Hash of the declaration, stored in checkpoints to refuse loading into another architecture.</summary>");
        w.Line($"public const string DeclarationHash = \"{plan.DeclarationHash}\";");
        w.Line("private const float HalfLog2Pi = 0.918938533204672742f; // ½·ln(2π)");
        w.Line();
        ModelEmitter.ArenaConstants(w, plan.Layout, "// ---- Parameter arena: offsets in floats (each tensor starts on a 64-byte boundary); gradients use the same layout.");

        bool tables = false;
        foreach (var layer in plan.Layers)
        {
            if (layer.Spec.IsCoupling && layer.ConvCoupling)
            {
                // An image mask's tables follow from its formula: computed once when the type is first used, so the
                // generated code does not grow with the image (docs/flow-layers.md, "Convolutional couplings").
                tables = true;
                string dims = $"{layer.InputShape[0]}, {layer.InputShape[1]}, {layer.InputShape[2]}";
                string mask = $"global::GenDsl.Mask.{MaskName(layer.Spec.Mask)}";
                w.Line($"private static readonly int[] s_{layer.Name}_Kept = global::GenDsl.FlowIndex.ImageKept({mask}, {dims});");
                w.Line($"private static readonly int[] s_{layer.Name}_Transformed = global::GenDsl.FlowIndex.ImageTransformed({mask}, {dims});");
                w.Line($"private static ReadOnlySpan<int> {layer.Name}_Kept => s_{layer.Name}_Kept; // the {layer.Kept.Length} features of [{dims}] the coupling keeps ({MaskMeaning(layer.Spec.Mask)}): the network input");
                w.Line($"private static ReadOnlySpan<int> {layer.Name}_Transformed => s_{layer.Name}_Transformed; // the {layer.Transformed.Length} features it transforms");
            }
            else if (layer.Spec.IsCoupling)
            {
                tables = true;
                w.Line($"private static ReadOnlySpan<int> {layer.Name}_Kept => [{Lit.Ints(layer.Kept)}]; // the features the coupling keeps (network input)");
                w.Line($"private static ReadOnlySpan<int> {layer.Name}_Transformed => [{Lit.Ints(layer.Transformed)}]; // the features it transforms");
                if (layer.Kind == LayerKind.SplineCoupling)
                {
                    w.Line($"private const int {layer.Name}_Bins = {layer.Bins}; // K: each transformed feature's spline has K bins, 3K − 1 = {layer.SplineParameters} network outputs");
                    w.Line($"private const float {layer.Name}_TailBound = {Lit.F(layer.Spec.TailBound)}; // B: the splines act on [−B, B], identity outside");
                }
            }
            else if (layer.Kind == LayerKind.MaskedAutoregressive)
            {
                tables = true;
                if (layer.Spec.IsSplineMade)
                {
                    w.Line($"private static ReadOnlySpan<int> {layer.Name}_Columns => [{Lit.Ints(layer.Transformed)}]; // every feature, in order (network output columns P·i … P·i + P − 1 belong to feature i)");
                    w.Line($"private const int {layer.Name}_Bins = {layer.Bins}; // K: each feature's spline has K bins, P = 3K − 1 = {layer.SplineParameters} network outputs");
                    w.Line($"private const float {layer.Name}_TailBound = {Lit.F(layer.Spec.TailBound)}; // B: the splines act on [−B, B], identity outside");
                }
                else
                    w.Line($"private static ReadOnlySpan<int> {layer.Name}_Columns => [{Lit.Ints(layer.Transformed)}]; // every feature, in order (column i of the network output belongs to feature i)");
            }
            else if (layer.Kind is LayerKind.Permute or LayerKind.InvertibleLinear or LayerKind.InvertibleConv1x1)
            {
                w.Line($"private static ReadOnlySpan<int> {layer.Name}_Order => [{Lit.Ints(layer.Order)}];");
                tables = true;
            }
            else if (layer.Kind == LayerKind.Squeeze)
            {
                w.Line($"// {layer.Name}: output feature ((4c + 2i + j)·{layer.OutputShape[1]} + h)·{layer.OutputShape[2]} + w is input feature (c·{layer.InputShape[1]} + 2h + i)·{layer.InputShape[2]} + 2w + j");
                w.Line($"private static readonly int[] s_{layer.Name}_Order = global::GenDsl.FlowIndex.Squeeze({layer.InputShape[0]}, {layer.InputShape[1]}, {layer.InputShape[2]});");
                w.Line($"private static ReadOnlySpan<int> {layer.Name}_Order => s_{layer.Name}_Order;");
                tables = true;
            }
        }
        foreach (var layer in plan.Layers.Where(l => l.ConvCoupling))
        {
            if (layer.Checkerboard)
            {
                int heads = layer.Kind == LayerKind.AffineCoupling ? 2 : 1, pixels = layer.InputShape[1] * layer.InputShape[2];
                w.Line($"private static readonly int[] s_{layer.Name}_HeadColumns = global::GenDsl.FlowIndex.HeadColumns(s_{layer.Name}_Transformed, {heads}, {layer.InputShape[0]}, {pixels});");
                w.Line($"private static ReadOnlySpan<int> {layer.Name}_HeadColumns => s_{layer.Name}_HeadColumns; // the network output columns at the transformed features: [r_T{(heads == 2 ? ", m_T" : "")}], head k of feature j at column k·{layer.InputShape[0]}·{pixels} + j");
            }
            NetworkEmitter.EmitDeclarations(w, layer.Network!);
            tables = true;
        }
        if (tables)
            w.Line();

        ModelEmitter.TensorTable(w, plan.Layout);

        // ---------------------------------------------------------------- state
        ModelEmitter.StateFields(w, plan.Layout);
        if (plan.HasActNorm)
            w.Line("private bool _actNormInitialized; // ActNorm layers take their scale and bias from the first training batch");
        w.Line();
        w.Line("// ---- Activation arena: one slice per tensor the backward pass needs, sized for MaxBatch rows.");
        ModelEmitter.ActivationFieldDeclarations(w, plan.Layout);
        foreach (var layer in plan.Layers)
            w.Line($"private readonly global::GenDsl.{FlowValidator.ShortType(layer.Kind)} _{layer.Name}Layer;");
        w.Line();

        // ---------------------------------------------------------------- constructor
        w.Line("/// <summary>Allocates the parameter, gradient and activation arenas once and initialises the parameters from <see cref=\"ModelOptions.Seed\"/>.</summary>");
        w.Open($"public {spec.ClassName}(ModelOptions options)");
        ModelEmitter.ConstructorStart(w, plan.Layout);
        ModelEmitter.AllocateActivations(w, plan.Layout);
        foreach (var layer in plan.Layers)
        {
            string tensors = layer.Tensors.Count == 0 ? "" : string.Join(", ", layer.Tensors.Select(t => $"Tensors[{TensorIndex(plan, t.Name)}]"));
            string arr = $"new TensorInfo[] {{ {tensors} }}";
            w.Line(layer.Kind switch
            {
                LayerKind.AffineCoupling or LayerKind.AdditiveCoupling =>
                    $"_{layer.Name}Layer = new global::GenDsl.Coupling(this, \"{layer.Name}\", {arr}, {layer.Name}_Kept.ToArray(), {layer.Name}_Transformed.ToArray(), {layer.NetLayers}, {(layer.Kind == LayerKind.AffineCoupling ? "true" : "false")});",
                LayerKind.SplineCoupling =>
                    $"_{layer.Name}Layer = new global::GenDsl.Coupling(this, \"{layer.Name}\", {arr}, {layer.Name}_Kept.ToArray(), {layer.Name}_Transformed.ToArray(), {layer.NetLayers}, false, {layer.Name}_Bins, {layer.Name}_TailBound);",
                LayerKind.MaskedAutoregressive when layer.Spec.IsSplineMade =>
                    $"_{layer.Name}Layer = new global::GenDsl.MaskedAutoregressive(this, \"{layer.Name}\", {arr}, {D}, {layer.NetLayers}, {(layer.Spec.Inverse ? "true" : "false")}, {layer.Name}_Bins, {layer.Name}_TailBound);",
                LayerKind.MaskedAutoregressive =>
                    $"_{layer.Name}Layer = new global::GenDsl.MaskedAutoregressive(this, \"{layer.Name}\", {arr}, {D}, {layer.NetLayers}, {(layer.Spec.Inverse ? "true" : "false")});",
                LayerKind.Permute => $"_{layer.Name}Layer = new global::GenDsl.Permutation(this, \"{layer.Name}\", {layer.Name}_Order.ToArray());",
                LayerKind.ActNorm => $"_{layer.Name}Layer = new global::GenDsl.ActNorm(this, \"{layer.Name}\", {arr});",
                LayerKind.Split => $"_{layer.Name}Layer = new global::GenDsl.Split(this, \"{layer.Name}\", new[] {{ {Lit.Ints(layer.InputShape)} }}, new[] {{ {Lit.Ints(layer.OutputShape)} }}, {layer.OutWidth}, {layer.Width});",
                LayerKind.Squeeze => $"_{layer.Name}Layer = new global::GenDsl.Squeeze(this, \"{layer.Name}\", {layer.Name}_Order.ToArray(), new[] {{ {Lit.Ints(layer.InputShape)} }}, new[] {{ {Lit.Ints(layer.OutputShape)} }});",
                LayerKind.InvertibleConv1x1 => $"_{layer.Name}Layer = new global::GenDsl.InvertibleConv1x1(this, \"{layer.Name}\", {arr}, {layer.Name}_Order.ToArray(), new[] {{ {Lit.Ints(layer.InputShape)} }});",
                _ => $"_{layer.Name}Layer = new global::GenDsl.InvertibleLinear(this, \"{layer.Name}\", {arr}, {layer.Name}_Order.ToArray());",
            });
        }
        w.Line("ResetParameters(options.Seed);");
        w.Close();
        w.Line();
        ModelEmitter.Helpers(w, accessorsToo: false);

        // ---------------------------------------------------------------- members
        foreach (var layer in plan.Layers)
            w.Line($"{layer.Spec.Accessibility} partial global::GenDsl.{FlowValidator.ShortType(layer.Kind)} {layer.Name} => _{layer.Name}Layer;");
        w.Line();
        ModelEmitter.CommonMembers(w);
        w.Line("public int ParameterCount => TotalParameters;");
        ModelEmitter.ArenaMembers(w, plan.Layout, "The gradients of the last <see cref=\"Backward\"/>, same layout as <see cref=\"Parameters\"/>.");
        w.Line("global::System.Collections.Generic.IReadOnlyList<TensorInfo> IGenerativeModel.Tensors => Tensors;");
        w.Line("string IGenerativeModel.DeclarationHash => DeclarationHash;");
        w.Line();

        // ---------------------------------------------------------------- init
        bool identity = plan.Spec.IdentityInit;
        w.Line(!identity
            ? (plan.Layers.Any(l => l.Kind == LayerKind.MaskedAutoregressive)
                ? "/// <summary>Initialises every parameter (FlowInitialization.Linear): every dense layer as torch.nn.Linear (U(±1/√fan_in)), MADE weights times their masks, scales at 1.</summary>"
                : "/// <summary>Initialises every parameter (FlowInitialization.Linear): every dense layer as torch.nn.Linear (U(±1/√fan_in)), scales at 1.</summary>")
            : plan.Layers.Any(l => l.Kind == LayerKind.SplineCoupling || l.Spec.IsSplineMade)
            ? "/// <summary>Initialises every parameter (FlowInitialization.Identity): hidden layers as torch.nn.Linear (U(±1/√fan_in)), coupling output layers at zero but for the splines' derivative biases (each coupling starts as the identity), scales at 1.</summary>"
            : "/// <summary>Initialises every parameter (FlowInitialization.Identity): hidden layers as torch.nn.Linear (U(±1/√fan_in)), coupling output layers at zero (each coupling starts as the identity), scales at 1.</summary>");
        w.Open("public void ResetParameters(ulong seed)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("var rng = new Rng(seed, stream: 0);");
        w.Line("var p = _parameters.Span;");
        w.Line("p.Clear();");
        foreach (var layer in plan.Layers)
        {
            if (layer.Network is not null)
                NetworkEmitter.EmitInit(w, layer.Network);
            if (layer.Kind is LayerKind.AffineCoupling || (layer.Kind == LayerKind.MaskedAutoregressive && !layer.Spec.IsSplineMade))
                w.Line($"p.Slice({layer.ScaleConst}, {(layer.ScaleLength >= 0 ? layer.ScaleLength : layer.Transformed.Length)}).Fill(1f);");
            if (layer.Kind == LayerKind.MaskedAutoregressive)
                w.Line(identity
                    ? $"{layer.Name}_ApplyMasks(p); // the hidden layers drawn as torch.nn.Linear, then multiplied by their MADE masks"
                    : $"{layer.Name}_ApplyMasks(p); // every layer drawn as torch.nn.Linear, then multiplied by its MADE mask");
            if (identity && (layer.Kind == LayerKind.SplineCoupling || layer.Spec.IsSplineMade))
            {
                w.Line($"// {layer.Name}: the output bias's derivative entries at ln(e^(1 − m_d) − 1), so that every δ = 1: with the zero weights the spline starts as the identity");
                w.Line($"for (int j = 0; j < {layer.Transformed.Length}; j++) p.Slice({layer.OutputBiasConst} + j * {layer.SplineParameters} + 2 * {layer.Name}_Bins, {layer.Name}_Bins - 1).Fill(SplineKernels.IdentityDerivative);");
            }
        }
        if (plan.HasActNorm)
            w.Line("_actNormInitialized = false;");
        w.Close();
        w.Line();

        EmitPublicApi(w, plan, yParam, yArg, yDoc);

        // ---------------------------------------------------------------- core passes
        w.Line("// =====================================================================================");
        w.Line("// Passes over the activation arena. Layer i maps X_i to X_{i+1} (data → latent).");
        w.Line("// =====================================================================================");
        w.Line();
        ModelEmitter.Accessors(w);

        w.Line("/// <summary>X_0 (already filled) → X_n = Z, with ln|det J_h| per row in _logDet.</summary>");
        w.Open($"private void ForwardCore({(cond ? "ReadOnlySpan2D<float> y, " : "")}int rows, bool training)");
        w.Line("_activations.Span.Slice(_logDet, rows).Clear();");
        if (plan.HasActNorm)
        {
            w.Line("bool initActNorm = training && !_actNormInitialized;");
            w.Line("if (initActNorm) _actNormInitialized = true;");
        }
        foreach (var layer in plan.Layers)
        {
            string extra = layer.Kind switch
            {
                LayerKind.AffineCoupling or LayerKind.AdditiveCoupling or LayerKind.SplineCoupling or LayerKind.MaskedAutoregressive => cond ? "y, rows" : "rows",
                LayerKind.ActNorm => "rows, initActNorm",
                _ => "rows",
            };
            w.Line($"{layer.Name}_Forward({extra});");
        }
        if (plan.HasSplit)
            w.Line($"Act(_x{n}, rows, {plan.LatentWidth}).CopyTo(Act(_z, rows, {D}).Slice(0, 0, rows, {plan.LatentWidth})); // the last layer's output is the latent's prefix");
        if (!plan.HasActNorm)
            w.Line("_ = training; // no layer behaves differently in training");
        w.Close();
        w.Line();

        w.Line("/// <summary>Z in X_n (already filled) → X_0, undoing the layers in reverse order.</summary>");
        w.Open($"private void InverseCore({(cond ? "ReadOnlySpan2D<float> y, " : "")}int rows)");
        if (plan.HasSplit)
            w.Line($"Act(_z, rows, {D}).Slice(0, 0, rows, {plan.LatentWidth}).CopyTo(Act(_x{n}, rows, {plan.LatentWidth})); // X_n: the latent's prefix (each [Split] takes its channels from _z)");
        for (int i = n - 1; i >= 0; i--)
        {
            var layer = plan.Layers[i];
            w.Line($"{layer.Name}_Inverse({(cond && layer.NetLayers > 0 ? "y, " : "")}rows);");
        }
        w.Close();
        w.Line();

        w.Line("/// <summary>∂L/∂X_n in _g(n mod 2) (already filled) → every parameter gradient, layer by layer in reverse.</summary>");
        w.Open($"private void BackwardCore({(cond ? "ReadOnlySpan2D<float> y, " : "")}int rows)");
        w.Line("float invRows = 1f / rows; // ∂L/∂logdet_r = −1/B for every row");
        for (int i = n - 1; i >= 0; i--)
        {
            var layer = plan.Layers[i];
            w.Line($"{layer.Name}_Backward({(cond && layer.NetLayers > 0 ? "y, " : "")}rows, invRows);");
        }
        w.Close();
        w.Line();

        foreach (var layer in plan.Layers)
        {
            string gIn = $"_g{(layer.Index + 1) % 2}";   // ∂L/∂X_{i+1}
            string gOut = $"_g{layer.Index % 2}";        // ∂L/∂X_i
            switch (layer.Kind)
            {
                case LayerKind.AffineCoupling when layer.ConvCoupling:
                case LayerKind.AdditiveCoupling when layer.ConvCoupling:
                    EmitConvCoupling(w, plan, layer, gIn, gOut);
                    break;
                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                case LayerKind.SplineCoupling:
                    EmitCoupling(w, plan, layer, gIn, gOut);
                    break;
                case LayerKind.MaskedAutoregressive:
                    EmitMaskedAutoregressive(w, plan, layer, gIn, gOut);
                    break;
                case LayerKind.Permute:
                case LayerKind.Squeeze:
                    EmitPermutation(w, plan, layer, gIn, gOut);
                    break;
                case LayerKind.ActNorm:
                    EmitActNorm(w, plan, layer, gIn, gOut);
                    break;
                case LayerKind.InvertibleLinear:
                    EmitInvertibleLinear(w, plan, layer, gIn, gOut);
                    break;
                case LayerKind.InvertibleConv1x1:
                    EmitInvertibleConv1x1(w, plan, layer, gIn, gOut);
                    break;
                case LayerKind.Split:
                    EmitSplit(w, plan, layer, gIn, gOut);
                    break;
            }
        }

        w.Close();
        PyTorchExportEmitter.EmitFlow(w, plan);
        OnnxExportEmitter.Flow(w, plan);
        return w.ToString();
    }

    /// <summary>The GenDsl.Mask member of a mask value ("ChannelsFirstHalf").</summary>
    private static string MaskName(int mask) => FlowValidator.MaskNames[mask];

    /// <summary>What an image mask keeps, for the tables' comments.</summary>
    private static string MaskMeaning(int mask) => mask switch
    {
        FlowMath.MaskChannelsFirstHalf => "channels 0 … ⌊C/2⌋−1, every pixel",
        FlowMath.MaskChannelsSecondHalf => "channels ⌊C/2⌋ … C−1, every pixel",
        FlowMath.MaskCheckerboardEven => "the pixels with h + w even, every channel",
        _ => "the pixels with h + w odd, every channel",
    };

    /// <summary>A tail bound as the comments write it (3, 2.5).</summary>
    private static string B(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static int TensorIndex(FlowPlan plan, string name)
    {
        int i = 0;
        foreach (var layer in plan.Layers)
            foreach (var t in layer.Tensors)
            {
                if (t.Name == name) return i;
                i++;
            }
        return -1;
    }

    // ------------------------------------------------------------------------------------ public API
    private static void EmitPublicApi(SourceWriter w, FlowPlan plan, string yParam, string yArg, string yDoc)
    {
        var spec = plan.Spec;
        int D = plan.Features;
        bool cond = plan.Condition > 0;
        string yCheck = cond ? "CheckCondition(y, rows);" : "";
        string yCore = cond ? "y, " : "";
        int n = plan.Layers.Count;
        // The latent row: X_n, or with a [Split] the assembled _z (the split channels at their places, X_n as the prefix).
        string latent = plan.HasSplit ? "_z" : $"_x{n}";

        w.Line("/// <summary>h = f⁻¹: maps data rows to latent rows and writes ln|det J_h| per row.</summary>");
        w.Open($"public void ToLatent(ReadOnlySpan2D<float> x, {yParam}Span2D<float> z, Span<float> logDet)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        if (cond) w.Line(yCheck);
        w.Line("CheckOutput(z, rows, FeatureCount, nameof(z));");
        w.Line("CheckVector(logDet, rows, nameof(logDet));");
        w.Line("x.CopyTo(Act(_x0, rows, FeatureCount));");
        w.Line($"ForwardCore({yCore}rows, training: false);");
        w.Line($"Act({latent}, rows, FeatureCount).CopyTo(z);");
        w.Line("_activations.Span.Slice(_logDet, rows).CopyTo(logDet);");
        w.Close();
        w.Line();

        w.Line("/// <summary>f: maps latent rows to data rows (the generative direction).</summary>");
        w.Open($"public void FromLatent(ReadOnlySpan2D<float> z, {yParam}Span2D<float> x)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("int rows = CheckBatch(z, nameof(z), FeatureCount);");
        w.Line("CheckFinite(z, nameof(z));");
        if (cond) w.Line(yCheck);
        w.Line("CheckOutput(x, rows, FeatureCount, nameof(x));");
        w.Line($"z.CopyTo(Act({latent}, rows, FeatureCount));");
        w.Line($"InverseCore({yCore}rows);");
        w.Line("Act(_x0, rows, FeatureCount).CopyTo(x);");
        w.Close();
        w.Line();

        w.Line("/// <summary>Exact log-density ln p(x) in nats, per row.</summary>");
        w.Open($"public void LogProb(ReadOnlySpan2D<float> x, {yParam}Span<float> logProb)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        if (cond) w.Line(yCheck);
        w.Line("CheckVector(logProb, rows, nameof(logProb));");
        w.Line("x.CopyTo(Act(_x0, rows, FeatureCount));");
        w.Line($"ForwardCore({yCore}rows, training: false);");
        w.Line($"var z = Act({latent}, rows, FeatureCount);");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        w.Line("for (int r = 0; r < rows; r++)");
        w.Line("    logProb[r] = -0.5f * global::System.Numerics.Tensors.TensorPrimitives.SumOfSquares(z.GetRowSpan(r)) - FeatureCount * HalfLog2Pi + logDet[r];");
        w.Close();
        w.Line();

        w.Line("/// <summary>Draws rows of x ~ p(x" + (cond ? "|y" : "") + "): Z ~ N(0, I) from <paramref name=\"rng\"/>, then X = f(Z).</summary>");
        w.Open($"public void Sample(Span2D<float> x, {yParam}Rng rng)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("ArgumentNullException.ThrowIfNull(rng);");
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        if (cond) w.Line(yCheck);
        w.Line($"rng.FillNormal(_activations.Span.Slice({latent}, rows * FeatureCount));");
        w.Line($"InverseCore({yCore}rows);");
        w.Line("Act(_x0, rows, FeatureCount).CopyTo(x);");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Forward pass on a batch, then the fused backward pass: fills <see cref=\"Gradients\"/> (overwriting them)");
        w.Line("/// and returns the mean negative log-likelihood L = (1/B) Σ_r [½‖z_r‖² + (D/2)·ln 2π − ln|det J_h(x_r)|] in nats.");
        w.Line("/// </summary>");
        w.Open($"public float Backward(ReadOnlySpan2D<float> batch{(cond ? ", ReadOnlySpan2D<float> y" : "")})");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("int rows = CheckBatch(batch, nameof(batch), FeatureCount);");
        w.Line("CheckFinite(batch, nameof(batch));");
        if (cond) w.Line(yCheck);
        w.Line("batch.CopyTo(Act(_x0, rows, FeatureCount));");
        w.Line($"ForwardCore({yCore}rows, training: true);");
        w.Line($"var z = Act({latent}, rows, FeatureCount);");
        w.Line(plan.HasSplit
            ? $"var g = Act(_g{n % 2}, rows, {plan.LatentWidth}); // ∂L/∂X_n: the last layer's {plan.LatentWidth} active features (the split ones get theirs in their [Split]'s backward)"
            : $"var g = Act(_g{n % 2}, rows, FeatureCount);");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        w.Line("float invRows = 1f / rows;");
        w.Line("double loss = 0;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var zr = z.GetRowSpan(r);");
        w.Line("loss += 0.5 * global::System.Numerics.Tensors.TensorPrimitives.SumOfSquares(zr) + FeatureCount * (double)HalfLog2Pi - logDet[r];");
        w.Line(plan.HasSplit
            ? $"global::System.Numerics.Tensors.TensorPrimitives.Multiply(zr.Slice(0, {plan.LatentWidth}), invRows, g.GetRowSpan(r)); // ∂L/∂z = z / B"
            : "global::System.Numerics.Tensors.TensorPrimitives.Multiply(zr, invRows, g.GetRowSpan(r)); // ∂L/∂z = z / B");
        w.Close();
        w.Line($"BackwardCore({yCore}rows);");
        w.Line("return (float)(loss * invRows);");
        w.Close();
        w.Line();

        w.Line("/// <summary>One training step: <see cref=\"Backward\"/>, then <paramref name=\"optimizer\"/>.Step(). Returns the batch's mean NLL (nats) before the step.</summary>");
        w.Open($"public float TrainStep(ReadOnlySpan2D<float> batch, {(cond ? "ReadOnlySpan2D<float> y, " : "")}Optimizer optimizer)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("ArgumentNullException.ThrowIfNull(optimizer);");
        w.Line($"float loss = Backward(batch{(cond ? ", y" : "")});");
        w.Line("optimizer.Step();");
        w.Line("return loss;");
        w.Close();
        w.Line();

        var afterLoad = new List<string>();
        if (plan.HasActNorm)
            afterLoad.Add("_actNormInitialized = true; // the saved ActNorm parameters are already data-initialised");
        foreach (var made in plan.Layers.Where(l => l.Kind == LayerKind.MaskedAutoregressive))
            afterLoad.Add($"{made.Name}_ApplyMasks(_parameters.Span); // masked-out weights never act (M ⊙ W): stored as exactly 0 whatever the file held");
        ModelEmitter.SaveLoad(w, spec.FullName, spec.ClassName, afterLoad.ToArray());
        w.Line();

        ModelEmitter.Checks(w, spec.ClassName, plan.Condition);
    }

    // ------------------------------------------------------------------------------------ couplings
    // Every per-row step of a coupling is one whole-batch call into CouplingKernels (vectorised across
    // rows, so a 2-D flow, where each half is one feature, still fills the vector lanes).
    private static void EmitCoupling(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        bool affine = layer.Kind == LayerKind.AffineCoupling;
        bool spline = layer.Kind == LayerKind.SplineCoupling;
        bool cond = plan.Condition > 0;
        int D = plan.Features;
        string name = layer.Name;
        int d1 = layer.Kept.Length, d2 = layer.Transformed.Length;
        string u = $"_x{layer.Index}", v = $"_x{layer.Index + 1}";
        string yParam = cond ? "ReadOnlySpan2D<float> y, " : "";
        string widths = NetworkEmitter.Widths(layer.Network!);
        string kept = $"{name}_Kept", transformed = $"{name}_Transformed";
        // Column slices of the network output o = [raw s, m] (affine) or o = m (additive), and of its gradient.
        string Raw(string o) => $"{o}.Slice(0, 0, rows, {d2})";
        string Shift(string o) => affine ? $"{o}.Slice(0, {d2}, rows, {d2})" : o;

        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {name}: {(affine ? "affine" : spline ? "rational-quadratic spline" : "additive")} coupling, keeps [{Lit.Ints(layer.Kept)}], transforms [{Lit.Ints(layer.Transformed)}];");
        w.Line($"// network {widths} ({ActivationNames[layer.Spec.Activation]} hidden){(cond ? $", input [x_K, y]" : "")}.");
        if (spline)
        {
            w.Line($"// data → latent: v_K = u_K ; v_T = g(u_T; θ), g monotonic rational-quadratic on [−{B(layer.Spec.TailBound)}, {B(layer.Spec.TailBound)}] with {layer.Bins} bins, identity outside ;");
            w.Line($"// ln|det| += Σ ln g′(u_T). θ = o: transformed feature j's {layer.SplineParameters} values start at column {layer.SplineParameters}·j,");
            w.Line($"// [{layer.Bins} widths | {layer.Bins} heights | {layer.Bins - 1} interior derivatives] (softmax, softmax, softplus; minimums 1e-3; δ = 1 at ±B).");
        }
        else
            w.Line(affine
                ? "// data → latent: v_K = u_K ; v_T = (u_T − m) ⊙ exp(−s), s = scale ⊙ tanh(r) ; ln|det| −= Σ s"
                : "// data → latent: v_K = u_K ; v_T = u_T − m ; ln|det| += 0");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();

        // The network, shared by forward and inverse.
        w.Line($"/// <summary>{name}'s network on the kept features of <paramref name=\"source\"/> (rows × {D}).</summary>");
        w.Open($"private void {name}_Network(int source, {yParam}int rows)");
        w.Line($"var input = Act({layer.NetInputField}, rows, {layer.NetIn});");
        w.Line($"CouplingKernels.GatherColumns(Act(source, rows, {D}), {kept}, {(cond ? $"input.Slice(0, 0, rows, {d1})" : "input")}); // a = [x_K{(cond ? " …" : "")}]");
        if (cond)
            w.Line($"y.CopyTo(input.Slice(0, {d1}, rows, {plan.Condition})); // … , y]");
        NetworkEmitter.EmitForward(w, layer.Network!);
        w.Close();
        w.Line();

        // Forward.
        w.Open($"private void {name}_Forward({yParam}int rows)");
        w.Line($"{name}_Network({u}, {(cond ? "y, " : "")}rows);");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line("u.CopyTo(v); // v_K = u_K (v_T is overwritten below)");
        if (affine)
        {
            w.Line("// v_T = (u_T − m) ⊙ exp(−s), s = scale ⊙ tanh(r), all rows at once; ln|det| −= Σ s");
            w.Line($"CouplingKernels.AffineForward(u, {transformed}, {Raw("o")}, {Shift("o")}, _parameters.Span.Slice({layer.ScaleConst}, {d2}), v, _activations.Span.Slice(_logDet, rows));");
        }
        else if (spline)
        {
            w.Line("// v_T = g(u_T; θ) per transformed feature, all rows; ln|det| += Σ ln g′(u_T)");
            w.Line($"SplineKernels.Forward(u, {transformed}, o, {name}_Bins, {name}_TailBound, v, _activations.Span.Slice(_logDet, rows));");
        }
        else
        {
            w.Line($"CouplingKernels.AdditiveForward(u, {transformed}, o, v); // v_T = u_T − m");
        }
        w.Close();
        w.Line();

        // Inverse.
        w.Open($"private void {name}_Inverse({yParam}int rows)");
        w.Line("// latent → data: u_K = v_K, then the network sees exactly what it saw going forward");
        w.Line($"{name}_Network({v}, {(cond ? "y, " : "")}rows);");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line("v.CopyTo(u); // u_K = v_K (u_T is overwritten below)");
        if (affine)
            w.Line($"CouplingKernels.AffineInverse(v, {transformed}, {Raw("o")}, {Shift("o")}, _parameters.Span.Slice({layer.ScaleConst}, {d2}), u); // u_T = v_T ⊙ exp(s) + m");
        else if (spline)
            w.Line($"SplineKernels.Inverse(v, {transformed}, o, {name}_Bins, {name}_TailBound, u); // u_T = g⁻¹(v_T; θ): ξ = 2c / (−b − √(b² − 4ac)) in the bin of v_T");
        else
            w.Line($"CouplingKernels.AdditiveInverse(v, {transformed}, o, u); // u_T = v_T + m");
        w.Close();
        w.Line();

        // Backward.
        w.Open($"private void {name}_Backward({yParam}int rows, float invRows)");
        if (cond) w.Line("_ = y; // the condition needs no gradient");
        w.Line($"var gv = Act({gNext}, rows, {D}); // ∂L/∂v");
        w.Line($"var gu = Act({gPrev}, rows, {D}); // ∂L/∂u (written here)");
        w.Line($"var go = Act(_gOut, rows, {layer.NetOut}); // ∂L/∂o");
        w.Line("gv.CopyTo(gu); // ∂L/∂u_K starts as ∂L/∂v_K (the network's share is added below); ∂L/∂u_T is overwritten");
        if (affine)
        {
            w.Line($"var v = Act({v}, rows, {D});");
            w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
            w.Line("// v_T = (u_T − m)·e^(−s): ∂/∂u_T = e^(−s), ∂/∂m = −e^(−s), ∂/∂s = −v_T + 1/B (ln|det| −= s), s = scale·tanh(r);");
            w.Line("// ∂L/∂scale = Σ_rows ∂L/∂s·tanh(r) (overwritten)");
            w.Line($"CouplingKernels.AffineBackward(gv, v, {transformed}, {Raw("o")}, _parameters.Span.Slice({layer.ScaleConst}, {d2}), invRows,");
            w.Line($"    gu, {Raw("go")}, {Shift("go")}, _gradients.Span.Slice({layer.ScaleConst}, {d2}));");
        }
        else if (spline)
        {
            w.Line($"var u = Act({u}, rows, {D}); // the forward input: the spline's derivatives are recomputed from u and θ");
            w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
            w.Line("// v_T = g(u_T; θ), ln|det| += ln g′(u_T; θ), ∂L/∂ln|det| = −1/B: ∂L/∂u_T = ∂L/∂v_T·g′ − (1/B)·∂ln g′/∂u_T,");
            w.Line("// ∂L/∂θ = ∂L/∂v_T·∂g/∂θ − (1/B)·∂ln g′/∂θ through the knots, softmax and softplus (0 in the tails)");
            w.Line($"SplineKernels.Backward(gv, u, {transformed}, o, {name}_Bins, {name}_TailBound, invRows, gu, go);");
        }
        else
        {
            w.Line("_ = invRows; // an additive coupling has no log-det");
            w.Line($"CouplingKernels.AdditiveBackward(gv, {transformed}, go); // v_T = u_T − m: ∂L/∂m = −∂L/∂v_T; ∂L/∂u_T = ∂L/∂v_T is already in gu");
        }

        // Network backward, last layer first.
        NetworkEmitter.EmitBackward(w, layer.Network!, "_gOut", "_gh0", "_gh1", "_gIn", parameterGradients: true);
        w.Line("// the network input was [u_K" + (cond ? ", y" : "") + "]: add its gradient to ∂L/∂u_K");
        w.Line($"CouplingKernels.AddToColumns(Act(_gIn, rows, {layer.NetIn}){(cond ? $".Slice(0, 0, rows, {d1})" : "")}, gu, {kept});");
        w.Close();
        w.Line();
    }

    // ------------------------------------------------------------------------------------ masked autoregressive
    // MAF: the affine coupling's kernels with every feature transformed and a masked network, one pass data → latent,
    // D passes latent → data. IAF: the network reads v, so data → latent takes the D passes and its backward pass solves
    // the adjoint of the triangular system u = v ⊙ e^s(v) + m(v), one network vector-Jacobian product per feature.
    private static void EmitMaskedAutoregressive(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        bool cond = plan.Condition > 0;
        bool iaf = layer.Spec.Inverse;
        bool spline = layer.Spec.IsSplineMade;
        int D = plan.Features;
        string name = layer.Name;
        string u = $"_x{layer.Index}", v = $"_x{layer.Index + 1}";
        string yParam = cond ? "ReadOnlySpan2D<float> y, " : "";
        string yArg = cond ? "y, " : "";
        string columns = $"{name}_Columns";
        var net = layer.Network!;
        int lastLayer = net.Emitting.Count() - 1;
        string R(string o) => $"{o}.Slice(0, 0, rows, {D})";          // raw log-scales r: columns 0 … D−1
        string M(string o) => $"{o}.Slice(0, {D}, rows, {D})";        // shifts m: columns D … 2D−1
        string Ri(string o) => $"{o}.Slice(0, i, rows, 1)";            // r_i
        string Mi(string o) => $"{o}.Slice(0, {D} + i, rows, 1)";     // m_i

        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {name}: masked autoregressive layer ({(iaf ? "IAF" : "MAF")}) over all {D} features; MADE network {NetworkEmitter.Widths(net)} ({ActivationNames[layer.Spec.Activation]} hidden),");
        w.Line($"// input [{(iaf ? "v" : "u")}{(cond ? ", y" : "")}]. Degrees: feature i → i + 1, hidden unit j → 1 + (j mod {System.Math.Max(1, D - 1)}); output i ({(spline ? "θ_i" : "r_i and m_i")}) sees");
        w.Line($"// the hidden units of degree < i + 1 only, so {(spline ? "θ_i depends" : "(r_i, m_i) depend")} on features 0 … i − 1 alone (docs/flow-layers.md).");
        if (spline)
        {
            w.Line($"// data → latent: v_i = g(u_i; θ_i), g monotonic rational-quadratic on [−{B(layer.Spec.TailBound)}, {B(layer.Spec.TailBound)}] with {layer.Bins} bins, identity outside ; ln|det| += Σ ln g′(u_i)");
            w.Line($"// (the Jacobian is triangular). θ_i = o[P·i … P·i + {layer.SplineParameters - 1}]: [{layer.Bins} widths | {layer.Bins} heights | {layer.Bins - 1} interior derivatives] as a spline coupling's.");
        }
        else
            w.Line("// data → latent: v_i = (u_i − m_i)·exp(−s_i), s = scale ⊙ tanh(r) ; ln|det| −= Σ s (the Jacobian is triangular).");
        w.Line(iaf
            ? $"// IAF: {(spline ? "θ" : "(r, m)")} = net(v, y): data → latent takes D passes (v_i needs v_0 … v_{{i−1}}), latent → data one."
            : $"// MAF: {(spline ? "θ" : "(r, m)")} = net(u, y): data → latent is one pass, latent → data takes D passes (u_i needs u_0 … u_{{i−1}}).");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();

        w.Line($"/// <summary>Sets {name}'s masked-out network weights in <paramref name=\"arena\"/> (the parameters or their gradients) to exactly 0.</summary>");
        w.Open($"private static void {name}_ApplyMasks(Span<float> arena)");
        foreach (var node in net.Emitting)
        {
            int layerIndex = node.Index;
            string role = layerIndex == 0 ? $"inputs{(cond ? " (the condition columns connect to every unit)" : "")}" : layerIndex == lastLayer ? (spline ? "outputs θ_i ← units of degree < i + 1" : "outputs r_i, m_i ← units of degree < i + 1") : "unit j ← unit p iff deg(j) ≥ deg(p)";
            w.Line($"MadeKernels.ApplyMask(arena.Slice({node.Const("W")}, {node.Out.Size * node.In.Size}), {node.Out.Size}, {node.In.Size}, layer: {layerIndex}, lastLayer: {lastLayer}, features: {D}{(spline ? $", outputsPerFeature: {layer.SplineParameters}" : "")}); // {node.Tensors[0].Name}: {role}");
        }
        w.Close();
        w.Line();

        w.Line($"/// <summary>{name}'s MADE network on all the features of <paramref name=\"source\"/> (rows × {D}){(cond ? " and y" : "")}: o = {(spline ? "[θ_0 | … | θ_{D−1}]" : "[r | m]")}.</summary>");
        w.Open($"private void {name}_Network(int source, {yParam}int rows)");
        w.Line($"var input = Act({layer.NetInputField}, rows, {layer.NetIn});");
        if (cond)
        {
            w.Line($"Act(source, rows, {D}).CopyTo(input.Slice(0, 0, rows, {D})); // a = [x …");
            w.Line($"y.CopyTo(input.Slice(0, {D}, rows, {plan.Condition})); // … , y]");
        }
        else
            w.Line("Act(source, rows, " + D + ").CopyTo(input); // a = x");
        NetworkEmitter.EmitForward(w, net);
        w.Close();
        w.Line();

        if (spline)
        {
            EmitSplineMadePasses(w, plan, layer, gNext, gPrev);
            return;
        }

        string scale = $"_parameters.Span.Slice({layer.ScaleConst}, {D})";
        // Forward (data → latent).
        w.Open($"private void {name}_Forward({yParam}int rows)");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line($"var scale = {scale};");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        if (!iaf)
        {
            w.Line($"{name}_Network({u}, {yArg}rows); // (r, m) = net(u{(cond ? ", y" : "")}): one pass");
            w.Line($"CouplingKernels.AffineForward(u, {columns}, {R("o")}, {M("o")}, scale, v, logDet); // v = (u − m) ⊙ e^(−s); ln|det| −= Σ s");
        }
        else
        {
            w.Line("v.Clear(); // v_i not yet found are 0 (no output before them reads them)");
            w.Open($"for (int i = 0; i < {D}; i++)");
            w.Line($"{name}_Network({v}, {yArg}rows); // (r, m) = net(v{(cond ? ", y" : "")}), exact for feature i once v_0 … v_{{i−1}} are in");
            w.Line($"CouplingKernels.AffineForward(u, {columns}.Slice(i, 1), {Ri("o")}, {Mi("o")}, scale.Slice(i, 1), v, logDet); // v_i = (u_i − m_i)·e^(−s_i); ln|det| −= s_i");
            w.Close();
        }
        w.Close();
        w.Line();

        // Inverse (latent → data).
        w.Open($"private void {name}_Inverse({yParam}int rows)");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line($"var scale = {scale};");
        if (iaf)
        {
            w.Line($"{name}_Network({v}, {yArg}rows); // (r, m) = net(v{(cond ? ", y" : "")}): one pass");
            w.Line($"CouplingKernels.AffineInverse(v, {columns}, {R("o")}, {M("o")}, scale, u); // u = v ⊙ e^s + m");
        }
        else
        {
            w.Line("u.Clear(); // u_i not yet found are 0 (no output before them reads them)");
            w.Open($"for (int i = 0; i < {D}; i++)");
            w.Line($"{name}_Network({u}, {yArg}rows); // (r, m) = net(u{(cond ? ", y" : "")}), exact for feature i once u_0 … u_{{i−1}} are in");
            w.Line($"CouplingKernels.AffineInverse(v, {columns}.Slice(i, 1), {Ri("o")}, {Mi("o")}, scale.Slice(i, 1), u); // u_i = v_i·e^(s_i) + m_i");
            w.Close();
        }
        w.Close();
        w.Line();

        // Backward.
        w.Open($"private void {name}_Backward({yParam}int rows, float invRows)");
        if (cond) w.Line("_ = y; // the condition needs no gradient");
        w.Line($"var gv = Act({gNext}, rows, {D}); // ∂L/∂v");
        w.Line($"var gu = Act({gPrev}, rows, {D}); // ∂L/∂u (written here)");
        w.Line($"var go = Act(_gOut, rows, {layer.NetOut}); // ∂L/∂o = [∂L/∂r | ∂L/∂m]");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line($"var gScale = _gradients.Span.Slice({layer.ScaleConst}, {D});");
        if (!iaf)
        {
            w.Line("// v = (u − m)·e^(−s): ∂/∂u = e^(−s), ∂/∂m = −e^(−s), ∂/∂s = −v + 1/B (ln|det| −= s), s = scale·tanh(r)");
            w.Line($"CouplingKernels.AffineBackward(gv, v, {columns}, {R("o")}, {scale}, invRows, gu, {R("go")}, {M("go")}, gScale);");
            NetworkEmitter.EmitBackward(w, net, "_gOut", "_gh0", "_gh1", "_gIn", parameterGradients: true);
            w.Line($"// the network input was [u{(cond ? ", y" : "")}]: add its gradient to ∂L/∂u");
            w.Line($"CouplingKernels.AddToColumns(Act(_gIn, rows, {layer.NetIn}){(cond ? $".Slice(0, 0, rows, {D})" : "")}, gu, {columns});");
        }
        else
        {
            w.Line($"var gIn = Act(_gIn, rows, {layer.NetIn}); // the network's vector-Jacobian product q = ∂(cotangents · o)/∂[v{(cond ? ", y" : "")}]");
            w.Line("// u = G(v) = v ⊙ e^s + m: ∂L/∂u = λ solves (∂G/∂v)ᵀ λ = ∂L/∂v + (1/B)·∂Σs/∂v, lower-triangular ∂G/∂v, from the last");
            w.Line("// feature back: λ_i = e^(−s_i)·(g_i + q_i) where q is the network's VJP of c = 1/B − λ⊙v⊙e^s (for s) and −λ (for m),");
            w.Line("// whose column i depends only on features k > i, already solved. Then ∂L/∂θ is the VJP of the same c, −λ.");
            w.Line("go.Clear(); // cotangents of the features not solved yet");
            w.Line("gIn.Clear();");
            w.Open($"for (int i = {D - 1}; i >= 0; i--)");
            w.Line($"MadeKernels.InverseAdjointColumn(gv, gIn, v, {R("o")}, {scale}, invRows, i, gu, {R("go")}, {M("go")}, gScale); // λ_i, c_i, −λ_i; ∂L/∂scale_i");
            w.Line("if (i == 0) break;");
            w.Line("// q for feature i − 1: the VJP of the cotangents of features i … D − 1 (no parameter gradients)");
            NetworkEmitter.EmitBackward(w, net, "_gOut", "_gh0", "_gh1", "_gIn", parameterGradients: false);
            w.Close();
            w.Line("// the parameter gradients: one more backward pass with every cotangent");
            NetworkEmitter.EmitBackward(w, net, "_gOut", "_gh0", "_gh1", null, parameterGradients: true);
        }
        w.Line($"{name}_ApplyMasks(_gradients.Span); // masked-out weights get no gradient, so no optimizer ever moves them off 0");
        w.Close();
        w.Line();
    }

    // The passes of a masked autoregressive layer whose transform is a rational-quadratic spline: the spline coupling's
    // kernels on every feature (MAF) or one feature per pass (the D-pass directions), θ_i = o[P·i … P·i + P − 1].
    // The IAF's backward pass walks the features from the last: ∂L/∂v_i is the later layers' share plus the network's
    // vector-Jacobian product of the θ cotangents of the features after i (which alone depend on v_i).
    private static void EmitSplineMadePasses(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        bool cond = plan.Condition > 0;
        bool iaf = layer.Spec.Inverse;
        int D = plan.Features, P = layer.SplineParameters;
        string name = layer.Name;
        string u = $"_x{layer.Index}", v = $"_x{layer.Index + 1}";
        string yParam = cond ? "ReadOnlySpan2D<float> y, " : "";
        string yArg = cond ? "y, " : "";
        string columns = $"{name}_Columns", bins = $"{name}_Bins", bound = $"{name}_TailBound";
        var net = layer.Network!;
        string Theta(string o) => $"{o}.Slice(0, {P} * i, rows, {P})"; // θ_i: feature i's P columns

        // Forward (data → latent).
        w.Open($"private void {name}_Forward({yParam}int rows)");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        if (!iaf)
        {
            w.Line($"{name}_Network({u}, {yArg}rows); // θ = net(u{(cond ? ", y" : "")}): one pass");
            w.Line($"SplineKernels.Forward(u, {columns}, o, {bins}, {bound}, v, logDet); // v_i = g(u_i; θ_i) for every feature; ln|det| += Σ ln g′(u_i)");
        }
        else
        {
            w.Line("v.Clear(); // v_i not yet found are 0 (no output before them reads them)");
            w.Open($"for (int i = 0; i < {D}; i++)");
            w.Line($"{name}_Network({v}, {yArg}rows); // θ = net(v{(cond ? ", y" : "")}), exact for feature i once v_0 … v_{{i−1}} are in");
            w.Line($"SplineKernels.Forward(u, {columns}.Slice(i, 1), {Theta("o")}, {bins}, {bound}, v, logDet); // v_i = g(u_i; θ_i); ln|det| += ln g′(u_i)");
            w.Close();
        }
        w.Close();
        w.Line();

        // Inverse (latent → data).
        w.Open($"private void {name}_Inverse({yParam}int rows)");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        if (iaf)
        {
            w.Line($"{name}_Network({v}, {yArg}rows); // θ = net(v{(cond ? ", y" : "")}): one pass");
            w.Line($"SplineKernels.Inverse(v, {columns}, o, {bins}, {bound}, u); // u_i = g⁻¹(v_i; θ_i): ξ = 2c / (−b − √(b² − 4ac)) in the bin of v_i");
        }
        else
        {
            w.Line("u.Clear(); // u_i not yet found are 0 (no output before them reads them)");
            w.Open($"for (int i = 0; i < {D}; i++)");
            w.Line($"{name}_Network({u}, {yArg}rows); // θ = net(u{(cond ? ", y" : "")}), exact for feature i once u_0 … u_{{i−1}} are in");
            w.Line($"SplineKernels.Inverse(v, {columns}.Slice(i, 1), {Theta("o")}, {bins}, {bound}, u); // u_i = g⁻¹(v_i; θ_i)");
            w.Close();
        }
        w.Close();
        w.Line();

        // Backward.
        w.Open($"private void {name}_Backward({yParam}int rows, float invRows)");
        if (cond) w.Line("_ = y; // the condition needs no gradient");
        w.Line($"var gv = Act({gNext}, rows, {D}); // ∂L/∂v");
        w.Line($"var gu = Act({gPrev}, rows, {D}); // ∂L/∂u (written here)");
        w.Line($"var go = Act(_gOut, rows, {layer.NetOut}); // ∂L/∂θ");
        w.Line($"var u = Act({u}, rows, {D}); // the forward input: the splines' derivatives are recomputed from u and θ");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        if (!iaf)
        {
            w.Line("// v = g(u; θ), ln|det| += Σ ln g′(u; θ), ∂L/∂ln|det| = −1/B: ∂L/∂u = ∂L/∂v·g′ − (1/B)·∂ln g′/∂u,");
            w.Line("// ∂L/∂θ = ∂L/∂v·∂g/∂θ − (1/B)·∂ln g′/∂θ through the knots, softmax and softplus (0 in the tails)");
            w.Line($"SplineKernels.Backward(gv, u, {columns}, o, {bins}, {bound}, invRows, gu, go);");
            NetworkEmitter.EmitBackward(w, net, "_gOut", "_gh0", "_gh1", "_gIn", parameterGradients: true);
            w.Line($"// the network input was [u{(cond ? ", y" : "")}]: add its gradient to ∂L/∂u");
            w.Line($"CouplingKernels.AddToColumns(Act(_gIn, rows, {layer.NetIn}){(cond ? $".Slice(0, 0, rows, {D})" : "")}, gu, {columns});");
        }
        else
        {
            w.Line($"var gIn = Act(_gIn, rows, {layer.NetIn}); // the network's vector-Jacobian product q = ∂(cotangents · θ)/∂[v{(cond ? ", y" : "")}]");
            w.Line("// v_i = g(u_i; θ_i(v_0 … v_{i−1})): ∂L/∂v_i = λ_i = ∂L/∂v_i (later layers) + q_i, where q is the network's VJP of the");
            w.Line("// θ cotangents of features k > i, already found. Then, as for the MAF, ∂L/∂u_i = λ_i·g′ − (1/B)·∂ln g′/∂u_i and");
            w.Line("// ∂L/∂θ_i = λ_i·∂g/∂θ_i − (1/B)·∂ln g′/∂θ_i, from the last feature back. Then ∂L/∂(weights) is the VJP of every ∂L/∂θ.");
            w.Line("go.Clear(); // cotangents of the features not solved yet");
            w.Line("gIn.Clear();");
            w.Open($"for (int i = {D - 1}; i >= 0; i--)");
            w.Line($"SplineKernels.AutoregressiveBackwardColumn(gv, gIn, u, i, {Theta("o")}, {bins}, {bound}, invRows, gu, {Theta("go")}); // λ_i; ∂L/∂u_i, ∂L/∂θ_i");
            w.Line("if (i == 0) break;");
            w.Line("// q for feature i − 1: the VJP of the cotangents of features i … D − 1 (no parameter gradients)");
            NetworkEmitter.EmitBackward(w, net, "_gOut", "_gh0", "_gh1", "_gIn", parameterGradients: false);
            w.Close();
            w.Line("// the parameter gradients: one more backward pass with every cotangent");
            NetworkEmitter.EmitBackward(w, net, "_gOut", "_gh0", "_gh1", null, parameterGradients: true);
        }
        w.Line($"{name}_ApplyMasks(_gradients.Span); // masked-out weights get no gradient, so no optimizer ever moves them off 0");
        w.Close();
        w.Line();
    }

    // ------------------------------------------------------------------------------------ permutation
    private static void EmitPermutation(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        int D = layer.Width;
        string name = layer.Name;
        w.Line("// -------------------------------------------------------------------------------------");
        if (layer.Kind == LayerKind.Squeeze)
        {
            w.Line($"// {name}: squeeze (2×2 space-to-depth) [{Lit.Ints(layer.InputShape)}] → [{Lit.Ints(layer.OutputShape)}], torch's");
            w.Line($"// x.view(B, C, H/2, 2, W/2, 2).permute(0, 1, 3, 5, 2, 4).reshape(B, 4C, H/2, W/2): the permutation v[:, j] = u[:, π[j]] ; ln|det| += 0");
        }
        else
            w.Line($"// {name}: permutation v[:, j] = u[:, π[j]], π = [{Lit.Ints(layer.Order)}] ; ln|det| += 0");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Open($"private void {name}_Forward(int rows)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var order = {name}_Order;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ur = u.GetRowSpan(r);");
        w.Line("var vr = v.GetRowSpan(r);");
        w.Line($"for (int j = 0; j < {D}; j++) vr[j] = ur[order[j]];");
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Inverse(int rows)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var order = {name}_Order;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ur = u.GetRowSpan(r);");
        w.Line("var vr = v.GetRowSpan(r);");
        w.Line($"for (int j = 0; j < {D}; j++) ur[order[j]] = vr[j];");
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Backward(int rows, float invRows)");
        string what = layer.Kind == LayerKind.Squeeze ? "squeeze" : "permutation";
        w.Line($"_ = invRows; // a {what} has no log-det");
        w.Line($"var gv = Act({gNext}, rows, {D});");
        w.Line($"var gu = Act({gPrev}, rows, {D});");
        w.Line($"var order = {name}_Order;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var gvr = gv.GetRowSpan(r);");
        w.Line("var gur = gu.GetRowSpan(r);");
        w.Line($"for (int j = 0; j < {D}; j++) gur[order[j]] = gvr[j]; // backward of: v[j] = u[π[j]]");
        w.Close();
        w.Close();
        w.Line();
    }

    // ------------------------------------------------------------------------------------ ActNorm
    private static void EmitActNorm(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        if (layer.IsImageActNorm)
        {
            EmitChannelActNorm(w, plan, layer, gNext, gPrev);
            return;
        }
        int D = plan.Features;
        string name = layer.Name;
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {name}: ActNorm v = u ⊙ exp(ls) + b ; ln|det| += Σ ls (the same for every row)");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Open($"private void {name}_Forward(int rows, bool initialize)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var ls = _parameters.Span.Slice({layer.LogScaleConst}, {D});");
        w.Line($"var b = _parameters.Span.Slice({layer.BiasConst}, {D});");
        w.Line("if (initialize) // Glow's data-dependent init: outputs of the first batch get zero mean, unit variance");
        w.Line("    FlowKernels.ActNormInitialize(u, ls, b);");
        w.Line($"var scale = _activations.Span.Slice({layer.WorkField}, {D});");
        w.Line("global::System.Numerics.Tensors.TensorPrimitives.Exp(ls, scale);");
        w.Line("float sumLs = global::System.Numerics.Tensors.TensorPrimitives.Sum(ls);");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("global::System.Numerics.Tensors.TensorPrimitives.FusedMultiplyAdd(u.GetRowSpan(r), scale, b, v.GetRowSpan(r));");
        w.Line("logDet[r] += sumLs;");
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Inverse(int rows)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var ls = _parameters.Span.Slice({layer.LogScaleConst}, {D});");
        w.Line($"var b = _parameters.Span.Slice({layer.BiasConst}, {D});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ur = u.GetRowSpan(r);");
        w.Line("var vr = v.GetRowSpan(r);");
        w.Line($"for (int j = 0; j < {D}; j++) ur[j] = (vr[j] - b[j]) * MathF.Exp(-ls[j]); // u = (v − b) ⊙ exp(−ls)");
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Backward(int rows, float invRows)");
        w.Line($"var gv = Act({gNext}, rows, {D});");
        w.Line($"var gu = Act({gPrev}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var b = _parameters.Span.Slice({layer.BiasConst}, {D});");
        w.Line($"var scale = _activations.Span.Slice({layer.WorkField}, {D}); // exp(ls) from the forward pass");
        w.Line($"var gls = _gradients.Span.Slice({layer.LogScaleConst}, {D});");
        w.Line($"var gb = _gradients.Span.Slice({layer.BiasConst}, {D});");
        w.Line("gls.Fill(-rows * invRows); // ln|det| += Σ ls for each row, ∂L/∂ln|det| = −1/B");
        w.Line("gb.Clear();");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var gvr = gv.GetRowSpan(r);");
        w.Line("var gur = gu.GetRowSpan(r);");
        w.Line("var vr = v.GetRowSpan(r);");
        w.Open($"for (int j = 0; j < {D}; j++)");
        w.Line("float g = gvr[j];");
        w.Line("gur[j] = g * scale[j];       // ∂v/∂u = exp(ls)");
        w.Line("gls[j] += g * (vr[j] - b[j]); // ∂v/∂ls = u·exp(ls) = v − b");
        w.Line("gb[j] += g;                   // ∂v/∂b = 1");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    // An image flow's ActNorm: one logscale and bias per channel, each channel's H·W pixels a contiguous block of the row.
    private static void EmitChannelActNorm(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        int D = layer.Width;
        string name = layer.Name;
        int C = layer.InputShape[0], P = layer.InputShape[1] * layer.InputShape[2];
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {name}: per-channel ActNorm on [{Lit.Ints(layer.InputShape)}]: v[c, h, w] = u[c, h, w]·exp(ls[c]) + b[c] ;");
        w.Line($"// ln|det| += H·W·Σ_c ls[c] = {P}·Σ ls (the same for every row). Channel c is features c·{P} … c·{P} + {P - 1}.");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Line($"private const int {name}_Channels = {C}, {name}_Pixels = {P}; // C and H·W of the shape the layer acts on");
        w.Line();
        w.Open($"private void {name}_Forward(int rows, bool initialize)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var ls = _parameters.Span.Slice({layer.LogScaleConst}, {name}_Channels);");
        w.Line($"var b = _parameters.Span.Slice({layer.BiasConst}, {name}_Channels);");
        w.Line("if (initialize) // Glow's data-dependent init: each channel of the first batch gets zero mean, unit variance over rows and pixels");
        w.Line($"    FlowKernels.ActNormInitializeChannels(u, ls, b, {name}_Channels, {name}_Pixels);");
        w.Line($"var scale = _activations.Span.Slice({layer.WorkField}, {name}_Channels);");
        w.Line("global::System.Numerics.Tensors.TensorPrimitives.Exp(ls, scale);");
        w.Line($"float logDetRow = {name}_Pixels * global::System.Numerics.Tensors.TensorPrimitives.Sum(ls);");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ur = u.GetRowSpan(r);");
        w.Line("var vr = v.GetRowSpan(r);");
        w.Open($"for (int c = 0; c < {name}_Channels; c++)");
        w.Line($"var vc = vr.Slice(c * {name}_Pixels, {name}_Pixels);");
        w.Line($"global::System.Numerics.Tensors.TensorPrimitives.Multiply(ur.Slice(c * {name}_Pixels, {name}_Pixels), scale[c], vc);");
        w.Line("global::System.Numerics.Tensors.TensorPrimitives.Add(vc, b[c], vc);");
        w.Close();
        w.Line("logDet[r] += logDetRow;");
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Inverse(int rows)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var ls = _parameters.Span.Slice({layer.LogScaleConst}, {name}_Channels);");
        w.Line($"var b = _parameters.Span.Slice({layer.BiasConst}, {name}_Channels);");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ur = u.GetRowSpan(r);");
        w.Line("var vr = v.GetRowSpan(r);");
        w.Open($"for (int c = 0; c < {name}_Channels; c++)");
        w.Line($"var uc = ur.Slice(c * {name}_Pixels, {name}_Pixels);");
        w.Line($"global::System.Numerics.Tensors.TensorPrimitives.Subtract(vr.Slice(c * {name}_Pixels, {name}_Pixels), b[c], uc);");
        w.Line("global::System.Numerics.Tensors.TensorPrimitives.Multiply(uc, MathF.Exp(-ls[c]), uc); // u = (v − b) ⊙ exp(−ls)");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Backward(int rows, float invRows)");
        w.Line($"var gv = Act({gNext}, rows, {D});");
        w.Line($"var gu = Act({gPrev}, rows, {D});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {D});");
        w.Line($"var b = _parameters.Span.Slice({layer.BiasConst}, {name}_Channels);");
        w.Line($"var scale = _activations.Span.Slice({layer.WorkField}, {name}_Channels); // exp(ls) from the forward pass");
        w.Line($"var gls = _gradients.Span.Slice({layer.LogScaleConst}, {name}_Channels);");
        w.Line($"var gb = _gradients.Span.Slice({layer.BiasConst}, {name}_Channels);");
        w.Line($"gls.Fill(-rows * invRows * {name}_Pixels); // ln|det| += H·W·Σ ls for each row, ∂L/∂ln|det| = −1/B");
        w.Line("gb.Clear();");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var gvr = gv.GetRowSpan(r);");
        w.Line("var gur = gu.GetRowSpan(r);");
        w.Line("var vr = v.GetRowSpan(r);");
        w.Open($"for (int c = 0; c < {name}_Channels; c++)");
        w.Line($"var gc = gvr.Slice(c * {name}_Pixels, {name}_Pixels);");
        w.Line($"global::System.Numerics.Tensors.TensorPrimitives.Multiply(gc, scale[c], gur.Slice(c * {name}_Pixels, {name}_Pixels)); // ∂v/∂u = exp(ls[c])");
        w.Line("float sumG = global::System.Numerics.Tensors.TensorPrimitives.Sum(gc);");
        w.Line($"gls[c] += global::System.Numerics.Tensors.TensorPrimitives.Dot(gc, vr.Slice(c * {name}_Pixels, {name}_Pixels)) - b[c] * sumG; // ∂v/∂ls[c] = u·exp(ls[c]) = v − b[c]");
        w.Line("gb[c] += sumG;                                                                                   // ∂v/∂b[c] = 1");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    // ------------------------------------------------------------------------------------ InvertibleLinear
    private static void EmitInvertibleLinear(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        int D = plan.Features;
        string name = layer.Name;
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {name}: invertible linear v = u · Wᵀ, W = P·L·(U + diag(exp(logs))) ; ln|det| += Σ logs");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Open($"private void {name}_Forward(int rows)");
        w.Line($"var work = _activations.Span.Slice({layer.WorkField}, {4 * D * D});");
        w.Line($"FlowKernels.LuAssemble({name}_Order, _parameters.Span.Slice({layer.LowerConst}, {D * D}), _parameters.Span.Slice({layer.UpperConst}, {D * D}), _parameters.Span.Slice({layer.LogSConst}, {D}), work, {D});");
        w.Line($"var W = work.Slice(0, {D * D}).AsSpan2D({D}, {D});");
        w.Line($"Gemm.Multiply(Act(_x{layer.Index}, rows, {D}), false, W, true, Act(_x{layer.Index + 1}, rows, {D}), pool: _pool);");
        w.Line($"float sumLogS = global::System.Numerics.Tensors.TensorPrimitives.Sum(_parameters.Span.Slice({layer.LogSConst}, {D}));");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        w.Line("for (int r = 0; r < rows; r++) logDet[r] += sumLogS;");
        w.Close();
        w.Line();
        w.Open($"private void {name}_Inverse(int rows)");
        w.Line($"var work = _activations.Span.Slice({layer.WorkField}, {4 * D * D});");
        w.Line($"FlowKernels.LuAssemble({name}_Order, _parameters.Span.Slice({layer.LowerConst}, {D * D}), _parameters.Span.Slice({layer.UpperConst}, {D * D}), _parameters.Span.Slice({layer.LogSConst}, {D}), work, {D});");
        w.Line($"FlowKernels.LuSolveRows({name}_Order, work, Act(_x{layer.Index + 1}, rows, {D}), Act(_x{layer.Index}, rows, {D}), {D}); // u = W⁻¹ v per row: Pᵀ, then L, then Ũ");
        w.Close();
        w.Line();
        w.Open($"private void {name}_Backward(int rows, float invRows)");
        w.Line($"var work = _activations.Span.Slice({layer.WorkField}, {4 * D * D});");
        w.Line($"var W = work.Slice(0, {D * D}).AsSpan2D({D}, {D});");
        w.Line($"var gW = work.Slice({3 * D * D}, {D * D}).AsSpan2D({D}, {D});");
        w.Line($"var gv = Act({gNext}, rows, {D});");
        w.Line($"Gemm.Multiply(gv, true, Act(_x{layer.Index}, rows, {D}), false, gW, pool: _pool); // ∂L/∂W = ∂L/∂vᵀ · u");
        w.Line($"Gemm.Multiply(gv, false, W, false, Act({gPrev}, rows, {D}), pool: _pool);              // ∂L/∂u = ∂L/∂v · W");
        w.Line($"FlowKernels.LuBackward({name}_Order, work, _parameters.Span.Slice({layer.LogSConst}, {D}), _gradients.Span.Slice({layer.LowerConst}, {D * D}), _gradients.Span.Slice({layer.UpperConst}, {D * D}), _gradients.Span.Slice({layer.LogSConst}, {D}), -rows * invRows, {D});");
        w.Close();
        w.Line();
    }

    // ------------------------------------------------------------------------------------ InvertibleConv1x1
    // Per pixel v[:, :, h, w] = W·u[:, :, h, w]: with the batch copied pixel-major (rows·H·W rows of C channels) this is
    // [InvertibleLinear]'s v = u·Wᵀ on rows·H·W rows, so its LU kernels serve unchanged.
    private static void EmitInvertibleConv1x1(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        int D = layer.Width;
        string name = layer.Name;
        int C = layer.InputShape[0], P = layer.InputShape[1] * layer.InputShape[2];
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {name}: invertible 1×1 convolution on [{Lit.Ints(layer.InputShape)}]: at every pixel v[:, :, h, w] = W·u[:, :, h, w],");
        w.Line($"// W = P·L·(U + diag(exp(logs))) over the {C} channels ; ln|det| += H·W·Σ logs = {P}·Σ logs");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Line($"private const int {name}_Channels = {C}, {name}_Pixels = {P}; // C and H·W of the shape the layer acts on");
        w.Line();
        string assemble = $"FlowKernels.LuAssemble({name}_Order, _parameters.Span.Slice({layer.LowerConst}, {C * C}), _parameters.Span.Slice({layer.UpperConst}, {C * C}), _parameters.Span.Slice({layer.LogSConst}, {C}), work, {C});";
        w.Open($"private void {name}_Forward(int rows)");
        w.Line($"var work = _activations.Span.Slice({layer.WorkField}, {4 * C * C});");
        w.Line(assemble);
        w.Line($"var W = work.Slice(0, {C * C}).AsSpan2D({C}, {C});");
        w.Line($"var pu = Act({layer.PixelsField}, rows * {name}_Pixels, {name}_Channels); // u pixel-major: pu[r·H·W + p, c] = u[r, c·H·W + p]");
        w.Line($"var pv = Act({layer.PixelsField2}, rows * {name}_Pixels, {name}_Channels);");
        w.Line($"FlowKernels.ChannelsToPixels(Act(_x{layer.Index}, rows, {D}), pu, {name}_Channels, {name}_Pixels);");
        w.Line("Gemm.Multiply(pu, false, W, true, pv, pool: _pool); // every pixel's v = W·u at once");
        w.Line($"FlowKernels.PixelsToChannels(pv, Act(_x{layer.Index + 1}, rows, {D}), {name}_Channels, {name}_Pixels);");
        w.Line($"float logDetRow = {name}_Pixels * global::System.Numerics.Tensors.TensorPrimitives.Sum(_parameters.Span.Slice({layer.LogSConst}, {C}));");
        w.Line("var logDet = _activations.Span.Slice(_logDet, rows);");
        w.Line("for (int r = 0; r < rows; r++) logDet[r] += logDetRow;");
        w.Close();
        w.Line();
        w.Open($"private void {name}_Inverse(int rows)");
        w.Line($"var work = _activations.Span.Slice({layer.WorkField}, {4 * C * C});");
        w.Line(assemble);
        w.Line($"var pu = Act({layer.PixelsField}, rows * {name}_Pixels, {name}_Channels);");
        w.Line($"var pv = Act({layer.PixelsField2}, rows * {name}_Pixels, {name}_Channels);");
        w.Line($"FlowKernels.ChannelsToPixels(Act(_x{layer.Index + 1}, rows, {D}), pv, {name}_Channels, {name}_Pixels);");
        w.Line($"FlowKernels.LuSolveRows({name}_Order, work, pv, pu, {C}); // u = W⁻¹ v at every pixel: Pᵀ, then L, then Ũ");
        w.Line($"FlowKernels.PixelsToChannels(pu, Act(_x{layer.Index}, rows, {D}), {name}_Channels, {name}_Pixels);");
        w.Close();
        w.Line();
        w.Open($"private void {name}_Backward(int rows, float invRows)");
        w.Line($"var work = _activations.Span.Slice({layer.WorkField}, {4 * C * C});");
        w.Line($"var W = work.Slice(0, {C * C}).AsSpan2D({C}, {C});");
        w.Line($"var gW = work.Slice({3 * C * C}, {C * C}).AsSpan2D({C}, {C});");
        w.Line($"var pu = Act({layer.PixelsField}, rows * {name}_Pixels, {name}_Channels); // u pixel-major, from the forward pass");
        w.Line($"var pg = Act({layer.PixelsField2}, rows * {name}_Pixels, {name}_Channels);");
        w.Line($"FlowKernels.ChannelsToPixels(Act({gNext}, rows, {D}), pg, {name}_Channels, {name}_Pixels); // ∂L/∂v pixel-major");
        w.Line("Gemm.Multiply(pg, true, pu, false, gW, pool: _pool); // ∂L/∂W = Σ over rows and pixels of ∂L/∂v · uᵀ");
        w.Line("Gemm.Multiply(pg, false, W, false, pu, pool: _pool); // ∂L/∂u = Wᵀ·∂L/∂v at every pixel (pu is free now)");
        w.Line($"FlowKernels.PixelsToChannels(pu, Act({gPrev}, rows, {D}), {name}_Channels, {name}_Pixels);");
        w.Line($"FlowKernels.LuBackward({name}_Order, work, _parameters.Span.Slice({layer.LogSConst}, {C}), _gradients.Span.Slice({layer.LowerConst}, {C * C}), _gradients.Span.Slice({layer.UpperConst}, {C * C}), _gradients.Span.Slice({layer.LogSConst}, {C}), -rows * invRows * {name}_Pixels, {C}); // ln|det| += H·W·Σ logs per row");
        w.Close();
        w.Line();
    }

    // ------------------------------------------------------------------------------------ convolutional couplings
    // A coupling with an image mask: the same maps as EmitCoupling's (CouplingKernels on the kept / transformed features),
    // but the network is convolutional (catalogue ConvOps) on images [channels, H, W], and the scale is per channel.
    private static void EmitConvCoupling(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        bool affine = layer.Kind == LayerKind.AffineCoupling;
        bool checkerboard = layer.Checkerboard;
        bool cond = plan.Condition > 0;
        int D = layer.Width, K = plan.Condition;
        string name = layer.Name;
        int C = layer.InputShape[0], P = layer.InputShape[1] * layer.InputShape[2];
        int d1 = layer.Kept.Length, d2 = layer.Transformed.Length;
        int inChannels = checkerboard ? C : d1 / P;
        string u = $"_x{layer.Index}", v = $"_x{layer.Index + 1}";
        string yParam = cond ? "ReadOnlySpan2D<float> y, " : "";
        string kept = $"{name}_Kept", transformed = $"{name}_Transformed";
        string Raw(string o) => $"{o}.Slice(0, 0, rows, {d2})";
        string Shift(string o) => affine ? $"{o}.Slice(0, {d2}, rows, {d2})" : o;
        string shape = $"[{Lit.Ints(layer.InputShape)}]";

        w.Line("// -------------------------------------------------------------------------------------");
        w.Line(checkerboard
            ? $"// {name}: {(affine ? "affine" : "additive")} coupling on {shape}, checkerboard mask: keeps the pixels with h + w {(layer.Spec.Mask == FlowMath.MaskCheckerboardEven ? "even" : "odd")} (all channels);"
            : $"// {name}: {(affine ? "affine" : "additive")} coupling on {shape}, channel mask: keeps channels {(layer.Kept[0] / P)}…{(layer.Kept[d1 - 1] / P)}, transforms the other {layer.HeadChannels};");
        string condText = !cond ? "" : plan.Spec.ConditionImage.IsSet
            ? $", the condition image [{plan.Spec.ConditionImage.Channels}, {plan.Spec.ConditionImage.Height}, {plan.Spec.ConditionImage.Width}] resized to {layer.InputShape[1]}×{layer.InputShape[2]} as extra channels"
            : $", the {K} condition values as constant channels";
        w.Line($"// convolutional network {NetworkEmitter.Widths(layer.Network!)} ({ActivationNames[layer.Spec.Activation]} hidden) on {(checkerboard ? "u ⊙ b (the transformed pixels zeroed)" : "u_K")}{condText}.");
        if (checkerboard)
            w.Line($"// Its output {(affine ? "[r, m], 2" : "m,")}·{C} channels, is read at the transformed pixels only (r_T, m_T: the columns {name}_HeadColumns).");
        w.Line(affine
            ? $"// data → latent: v_K = u_K ; v_T = (u_T − m) ⊙ exp(−s), s = scale[channel] ⊙ tanh(r) ; ln|det| −= Σ s"
            : "// data → latent: v_K = u_K ; v_T = u_T − m ; ln|det| += 0");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();

        w.Line($"/// <summary>{name}'s network on <paramref name=\"source\"/> (rows × {D}): {(checkerboard ? "its kept pixels" : "its kept channels")}{(cond ? " and y" : "")} as images.</summary>");
        w.Open($"private void {name}_Network(int source, {yParam}int rows)");
        w.Line($"var input = Act({layer.NetInputField}, rows, {layer.NetIn});");
        if (checkerboard)
        {
            w.Line($"Act(source, rows, {D}).CopyTo({(cond ? $"input.Slice(0, 0, rows, {D})" : "input")}); // u, then b ⊙ u: the transformed pixels zeroed");
            w.Line($"var zeroed = {transformed};");
            w.Line("for (int r = 0; r < rows; r++)");
            w.Line("    foreach (int j in zeroed) input[r, j] = 0f;");
        }
        else
            w.Line($"CouplingKernels.GatherColumns(Act(source, rows, {D}), {kept}, {(cond ? $"input.Slice(0, 0, rows, {d1})" : "input")}); // the kept channels, contiguous in a channel-major row");
        if (cond && plan.Spec.ConditionImage.IsSet)
        {
            var s = plan.Spec;
            string channels = s.ConditionImage.Channels == 1 ? $"channel {inChannels} holds" : $"channels {inChannels} … {inChannels + s.ConditionImage.Channels - 1} hold";
            w.Line($"for (int r = 0; r < rows; r++) // y as an image: {channels} y [{s.ConditionImage.Channels}, {s.ConditionImage.Height}, {s.ConditionImage.Width}] resized to {layer.InputShape[1]}×{layer.InputShape[2]} (adaptive average pooling)");
            w.Line($"    ConditionKernels.Resize(y.GetRowSpan(r), {s.ConditionImage.Channels}, {s.ConditionImage.Height}, {s.ConditionImage.Width}, input.GetRowSpan(r).Slice({inChannels * P}, {s.ConditionImage.Channels * P}), {layer.InputShape[1]}, {layer.InputShape[2]});");
        }
        else if (cond)
        {
            w.Line($"for (int r = 0; r < rows; r++) // y broadcast: channel {inChannels} + c holds y[r, c] at every pixel");
            w.Line($"    for (int c = 0; c < {K}; c++) input.GetRowSpan(r).Slice(({inChannels} + c) * {P}, {P}).Fill(y[r, c]);");
        }
        NetworkEmitter.EmitForward(w, layer.Network!);
        if (checkerboard)
            w.Line($"CouplingKernels.GatherColumns(Act(_{name}_net, rows, {layer.Network!.OutputShape.Size}), {name}_HeadColumns, Act(_{name}_out, rows, {layer.NetOut})); // [r_T, m_T] at the transformed pixels");
        w.Close();
        w.Line();

        if (affine)
        {
            w.Line($"/// <summary>{name}'s scale per transformed feature: scale[channel of the feature].</summary>");
            w.Open($"private Span<float> {name}_FeatureScale()");
            w.Line($"var scale = _parameters.Span.Slice({layer.ScaleConst}, {layer.ScaleLength});");
            w.Line($"var scaleT = _activations.Span.Slice(_{name}_scaleT, {d2});");
            w.Line($"var columns = {transformed};");
            w.Line($"for (int j = 0; j < {d2}; j++) scaleT[j] = scale[{(checkerboard ? $"columns[j] / {P}" : $"columns[j] / {P} - {layer.Transformed[0] / P}")}];");
            w.Line("return scaleT;");
            w.Close();
            w.Line();
        }

        w.Open($"private void {name}_Forward({yParam}int rows)");
        w.Line($"{name}_Network({u}, {(cond ? "y, " : "")}rows);");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line("u.CopyTo(v); // v_K = u_K (v_T is overwritten below)");
        if (affine)
            w.Line($"CouplingKernels.AffineForward(u, {transformed}, {Raw("o")}, {Shift("o")}, {name}_FeatureScale(), v, _activations.Span.Slice(_logDet, rows)); // v_T = (u_T − m) ⊙ exp(−s); ln|det| −= Σ s");
        else
            w.Line($"CouplingKernels.AdditiveForward(u, {transformed}, o, v); // v_T = u_T − m");
        w.Close();
        w.Line();

        w.Open($"private void {name}_Inverse({yParam}int rows)");
        w.Line("// latent → data: u_K = v_K, then the network sees exactly what it saw going forward");
        w.Line($"{name}_Network({v}, {(cond ? "y, " : "")}rows);");
        w.Line($"var u = Act({u}, rows, {D});");
        w.Line($"var v = Act({v}, rows, {D});");
        w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
        w.Line("v.CopyTo(u); // u_K = v_K (u_T is overwritten below)");
        if (affine)
            w.Line($"CouplingKernels.AffineInverse(v, {transformed}, {Raw("o")}, {Shift("o")}, {name}_FeatureScale(), u); // u_T = v_T ⊙ exp(s) + m");
        else
            w.Line($"CouplingKernels.AdditiveInverse(v, {transformed}, o, u); // u_T = v_T + m");
        w.Close();
        w.Line();

        w.Open($"private void {name}_Backward({yParam}int rows, float invRows)");
        if (cond) w.Line("_ = y; // the condition needs no gradient");
        w.Line($"var gv = Act({gNext}, rows, {D}); // ∂L/∂v");
        w.Line($"var gu = Act({gPrev}, rows, {D}); // ∂L/∂u (written here)");
        w.Line($"var go = Act({(checkerboard ? $"_{name}_goT" : "_gOut")}, rows, {layer.NetOut}); // ∂L/∂[{(affine ? "r_T, m_T" : "m_T")}]");
        w.Line("gv.CopyTo(gu); // ∂L/∂u_K starts as ∂L/∂v_K (the network's share is added below); ∂L/∂u_T is overwritten");
        if (affine)
        {
            w.Line($"var v = Act({v}, rows, {D});");
            w.Line($"var o = Act(_{name}_out, rows, {layer.NetOut});");
            w.Line($"var gScaleT = _activations.Span.Slice(_{name}_gScaleT, {d2});");
            w.Line("// v_T = (u_T − m)·e^(−s): ∂/∂u_T = e^(−s), ∂/∂m = −e^(−s), ∂/∂s = −v_T + 1/B (ln|det| −= s), s = scale·tanh(r)");
            w.Line($"CouplingKernels.AffineBackward(gv, v, {transformed}, {Raw("o")}, _activations.Span.Slice(_{name}_scaleT, {d2}), invRows,");
            w.Line($"    gu, {Raw("go")}, {Shift("go")}, gScaleT);");
            w.Line($"var gScale = _gradients.Span.Slice({layer.ScaleConst}, {layer.ScaleLength});");
            w.Line("gScale.Clear();");
            w.Line($"var columns = {transformed};");
            w.Line($"for (int j = 0; j < {d2}; j++) gScale[{(checkerboard ? $"columns[j] / {P}" : $"columns[j] / {P} - {layer.Transformed[0] / P}")}] += gScaleT[j]; // ∂L/∂scale[c] = Σ over its pixels");
        }
        else
        {
            w.Line("_ = invRows; // an additive coupling has no log-det");
            w.Line($"CouplingKernels.AdditiveBackward(gv, {transformed}, go); // v_T = u_T − m: ∂L/∂m = −∂L/∂v_T; ∂L/∂u_T = ∂L/∂v_T is already in gu");
        }
        if (checkerboard)
        {
            w.Line($"var gNet = Act(_gOut, rows, {layer.Network!.OutputShape.Size}); // ∂L/∂(network output): 0 at the kept pixels, whose outputs are unused");
            w.Line("gNet.Clear();");
            w.Line($"CouplingKernels.AddToColumns(go, gNet, {name}_HeadColumns);");
        }
        NetworkEmitter.EmitBackward(w, layer.Network!, "_gOut", "_gh0", "_gh1", "_gIn", parameterGradients: true);
        if (checkerboard)
        {
            w.Line("// the network input was u ⊙ b: its gradient reaches u at the kept pixels only");
            w.Line($"var gInK = Act(_{name}_gInK, rows, {d1});");
            w.Line($"CouplingKernels.GatherColumns(Act(_gIn, rows, {layer.NetIn}){(cond ? $".Slice(0, 0, rows, {D})" : "")}, {kept}, gInK);");
            w.Line($"CouplingKernels.AddToColumns(gInK, gu, {kept});");
        }
        else
        {
            w.Line("// the network input was u_K" + (cond ? " (then y)" : "") + ": add its gradient to ∂L/∂u_K");
            w.Line($"CouplingKernels.AddToColumns(Act(_gIn, rows, {layer.NetIn}){(cond ? $".Slice(0, 0, rows, {d1})" : "")}, gu, {kept});");
        }
        w.Close();
        w.Line();
    }

    // ------------------------------------------------------------------------------------ Split
    // The factored-out channels are the tail [Da, Dp) of the active prefix [0, Dp) (channel-major rows): they go to their
    // own columns of the latent _z, and the later layers act on the prefix [0, Da).
    private static void EmitSplit(SourceWriter w, FlowPlan plan, LayerPlan layer, string gNext, string gPrev)
    {
        int D = plan.Features, Dp = layer.Width, Da = layer.OutWidth;
        string name = layer.Name;
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {name}: split [{Lit.Ints(layer.InputShape)}] → [{Lit.Ints(layer.OutputShape)}]: channels {layer.OutputShape[0]}…{layer.InputShape[0] - 1} (features {Da}…{Dp - 1})");
        w.Line($"// leave to the latent, z[:, {Da}…{Dp - 1}] = u[:, {Da}…{Dp - 1}] ~ N(0, I); v = u[:, 0…{Da - 1}] ; ln|det| += 0");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Open($"private void {name}_Forward(int rows)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {Dp});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {Da});");
        w.Line($"var z = Act(_z, rows, {D});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ur = u.GetRowSpan(r);");
        w.Line($"ur.Slice(0, {Da}).CopyTo(v.GetRowSpan(r));");
        w.Line($"ur.Slice({Da}, {Dp - Da}).CopyTo(z.GetRowSpan(r).Slice({Da}, {Dp - Da})); // the factored-out channels, at their places in z");
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Inverse(int rows)");
        w.Line($"var u = Act(_x{layer.Index}, rows, {Dp});");
        w.Line($"var v = Act(_x{layer.Index + 1}, rows, {Da});");
        w.Line($"var z = Act(_z, rows, {D});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ur = u.GetRowSpan(r);");
        w.Line($"v.GetRowSpan(r).CopyTo(ur.Slice(0, {Da}));");
        w.Line($"z.GetRowSpan(r).Slice({Da}, {Dp - Da}).CopyTo(ur.Slice({Da}, {Dp - Da})); // drawn back in from the latent");
        w.Close();
        w.Close();
        w.Line();
        w.Open($"private void {name}_Backward(int rows, float invRows)");
        w.Line($"var gv = Act({gNext}, rows, {Da});");
        w.Line($"var gu = Act({gPrev}, rows, {Dp});");
        w.Line($"var z = Act(_z, rows, {D});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var gur = gu.GetRowSpan(r);");
        w.Line($"gv.GetRowSpan(r).CopyTo(gur.Slice(0, {Da}));");
        w.Line($"global::System.Numerics.Tensors.TensorPrimitives.Multiply(z.GetRowSpan(r).Slice({Da}, {Dp - Da}), invRows, gur.Slice({Da}, {Dp - Da})); // ∂L/∂z = z / B for the factored-out features");
        w.Close();
        w.Close();
        w.Line();
    }
}
