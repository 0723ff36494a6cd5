using System.Linq;
using GenDsl.Generators.Common;
using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>
/// Writes the C# of a VAE or GAN: constants for every shape and offset, each network's forward pass
/// (GEMMs with fused bias + activation), the loss with its gradient in one pass over the rows, and the
/// backward pass of each network, last layer first, each commented with the line it differentiates.
/// </summary>
internal static class NetEmitter
{
    public static string Emit(NetModelPlan plan)
    {
        var w = new SourceWriter();
        var spec = plan.Spec;
        bool vae = spec.Kind == NetKind.Vae;
        bool cond = plan.K > 0;

        var layout = plan.Layout;
        ModelEmitter.Header(w, vae ? "Vae" : "Gan", spec.FullName, spec.Namespace);

        string summary = vae
            ? $"VAE: {plan.D} features, latent {plan.Z}{(cond ? $", condition {plan.K}" : "")}, {new[] { "Bernoulli", "Gaussian (learned variance)", "Gaussian (fixed σ)" }[spec.Likelihood]} likelihood; {plan.ParameterCount} parameters."
            : $"GAN: {plan.D} features, noise {plan.Z}{(cond ? $", condition {plan.K}" : "")}, {new[] { "non-saturating", "minimax", "hinge", "Wasserstein" }[spec.Loss]} loss; {plan.ParameterCount} parameters.";
        w.Line($"/// <summary>{summary}</summary>");
        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"GenDsl.Generators\", \"1.0.0\")]");
        w.Open($"partial class {spec.ClassName} : {(vae ? "IVaeModel" : "IGanModel")}");

        // ---------------------------------------------------------------- constants
        w.Line(spec.HasImageShape ? $"/// <summary>Columns of a data row: a {spec.Channels}×{spec.Height}×{spec.Width} image, channel-major.</summary>" : "/// <summary>Columns of a data row.</summary>");
        w.Line($"public const int FeatureCount = {plan.D};");
        if (spec.HasImageShape)
        {
            w.Line("/// <summary>The data's image shape: channels, height, width.</summary>");
            w.Line($"public const int Channels = {spec.Channels}, Height = {spec.Height}, Width = {spec.Width};");
        }
        w.Line($"/// <summary>Size of {(vae ? "the latent" : "the generator's noise")} Z.</summary>");
        w.Line($"public const int {(vae ? "LatentCount" : "NoiseCount")} = {plan.Z};");
        w.Line("/// <summary>Columns of the condition Y (0: unconditional).</summary>");
        w.Line($"public const int ConditionCount = {plan.K};");
        w.Line("/// <summary>Learned parameters (without the arena's alignment padding).</summary>");
        w.Line($"public const int TotalParameters = {plan.ParameterCount};");
        w.Line("/// <summary>Hash of the declaration, stored in checkpoints to refuse loading into another architecture.</summary>");
        w.Line($"public const string DeclarationHash = \"{plan.DeclarationHash}\";");
        w.Line("private const float HalfLog2Pi = 0.918938533204672742f; // ½·ln(2π)");
        if (vae)
            w.Line($"private const float Beta = {Lit.F(spec.Beta)}; // weight of the KL term");
        if (vae && spec.Likelihood == 2)
            w.Line($"private const float Sigma = {Lit.F(spec.Sigma)}; // fixed σ of p(x|z)");
        w.Line();
        ModelEmitter.ArenaConstants(w, layout,
            $"// ---- Parameter arena: offsets in floats (64-byte aligned); gradients use the same layout. The {plan.B.Name} starts at {plan.PartBOffset}.",
            $"private const int PartBOffset = {plan.PartBOffset};");
        ModelEmitter.TensorTable(w, layout);
        int declared = w.Length;
        NetworkEmitter.EmitDeclarations(w, plan.A);
        NetworkEmitter.EmitDeclarations(w, plan.B);
        if (w.Length != declared)
            w.Line();

        // ---------------------------------------------------------------- state
        ModelEmitter.StateFields(w, layout);
        w.Line("private readonly Rng _noise; // ε (VAE) or z (GAN) of training steps, from ModelOptions.Seed, stream 1");
        if (vae)
            w.Line("private readonly Rng _evalNoise; // ε of Elbo and ImportanceLogLikelihood, stream 2: evaluating mid-training leaves the training run unchanged");
        w.Line($"private readonly ParameterPart _partA; // the {plan.A.Name}");
        w.Line($"private readonly ParameterPart _partB; // the {plan.B.Name}");
        if (plan.UsesTrainingFlag)
            w.Line("private bool _trainingPass; // this pass uses batch statistics (and updates the running ones)");
        w.Line();
        w.Line(plan.Wasserstein
            ? "// ---- Activation arena, sized for MaxBatch rows (the critic's slices for 3·MaxBatch: real, fake and interpolated rows)."
            : "// ---- Activation arena, sized for MaxBatch rows (the discriminator's slices for 2·MaxBatch: real and fake rows).");
        ModelEmitter.ActivationFieldDeclarations(w, layout);
        foreach (var (member, type, _) in plan.LayerViews)
            w.Line($"private readonly global::GenDsl.{type} _{member}Layer;");
        w.Line();

        // ---------------------------------------------------------------- constructor
        w.Line("/// <summary>Allocates the parameter, gradient and activation arenas once and initialises the parameters from <see cref=\"ModelOptions.Seed\"/>.</summary>");
        w.Open($"public {spec.ClassName}(ModelOptions options)");
        ModelEmitter.ConstructorStart(w, layout);
        w.Line("_noise = new Rng(options.Seed, stream: 1);");
        if (vae)
            w.Line("_evalNoise = new Rng(options.Seed, stream: 2);");
        w.Line($"_partA = new ParameterPart(\"{plan.A.Name}\", _parameters.Memory.Slice(0, PartBOffset), _gradients.Memory.Slice(0, PartBOffset), _pool);");
        w.Line($"_partB = new ParameterPart(\"{plan.B.Name}\", _parameters.Memory.Slice(PartBOffset), _gradients.Memory.Slice(PartBOffset), _pool);");
        ModelEmitter.AllocateActivations(w, layout);
        foreach (var (member, type, indices) in plan.LayerViews)
            w.Line($"_{member}Layer = new global::GenDsl.{type}(this, \"{member}\", {(indices.Count == 0 ? "System.Array.Empty<TensorInfo>()" : $"new TensorInfo[] {{ {string.Join(", ", indices.Select(i => $"Tensors[{i}]"))} }}")});");
        w.Line("ResetParameters(options.Seed);");
        w.Close();
        w.Line();
        ModelEmitter.Helpers(w, accessorsToo: false);

        // ---------------------------------------------------------------- members
        foreach (var (member, type, _) in plan.LayerViews)
        {
            var layer = spec.Layers.First(l => l.Member == member);
            w.Line($"{layer.Accessibility} partial global::GenDsl.{type} {member} => _{member}Layer;");
        }
        w.Line();
        ModelEmitter.CommonMembers(w);
        w.Line(vae ? "public int LatentSize => LatentCount;" : "public int NoiseSize => NoiseCount;");
        w.Line("public int ParameterCount => TotalParameters;");
        ModelEmitter.ArenaMembers(w, layout, "The gradients of the last backward pass, same layout as <see cref=\"Parameters\"/>.");
        if (plan.UsesTrainingFlag)
        {
            w.Line("/// <summary>");
            w.Line("/// False (the default): evaluation calls (sampling, encoding, decoding, discriminating, the ELBO) normalise with the");
            w.Line("/// running statistics of the batch norms, as torch's eval(). True: they use the batch's own statistics, as torch's train().");
            w.Line("/// Training steps always use batch statistics and update the running ones.");
            w.Line("/// </summary>");
            w.Line("public bool Training { get; set; }");
        }
        if (!vae)
        {
            w.Line("/// <summary>The generator's parameters (optimise them with their own optimizer).</summary>");
            w.Line("public IParameterized GeneratorPart => _partA;");
            w.Line("/// <summary>The discriminator's parameters (optimise them with their own optimizer).</summary>");
            w.Line("public IParameterized DiscriminatorPart => _partB;");
        }
        else
        {
            w.Line("/// <summary>The encoder's parameters.</summary>");
            w.Line("public IParameterized EncoderPart => _partA;");
            w.Line("/// <summary>The decoder's parameters.</summary>");
            w.Line("public IParameterized DecoderPart => _partB;");
        }
        w.Line("/// <summary>Position of the training-noise generator; saved in checkpoints so that a resumed run continues bit-identically.</summary>");
        w.Line("public ulong NoisePosition { get => _noise.Position; set => _noise.Position = value; }");
        w.Line("global::System.Collections.Generic.IReadOnlyList<TensorInfo> IGenerativeModel.Tensors => Tensors;");
        w.Line("string IGenerativeModel.DeclarationHash => DeclarationHash;");
        w.Line();

        // ---------------------------------------------------------------- init
        w.Line("/// <summary>Initialises every layer as torch.nn does: dense and convolution weights and biases ~ U(±1/√fan_in), batch norms at γ = 1, β = 0 with running mean 0 and variance 1.</summary>");
        w.Open("public void ResetParameters(ulong seed)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("var rng = new Rng(seed, stream: 0);");
        w.Line("var p = _parameters.Span;");
        w.Line("p.Clear();");
        NetworkEmitter.EmitInit(w, plan.A);
        NetworkEmitter.EmitInit(w, plan.B);
        w.Close();
        w.Line();

        ModelEmitter.Accessors(w);
        ModelEmitter.Checks(w, plan.Spec.ClassName, plan.K);
        if (plan.ConditionAsChannels)
            EmitConditionChannels(w, plan);
        EmitNetwork(w, plan, plan.A);
        EmitNetwork(w, plan, plan.B);
        if (vae) EmitVae(w, plan);
        else EmitGan(w, plan);

        ModelEmitter.SaveLoad(w, spec.FullName, spec.ClassName);
        w.Close();
        PyTorchExportEmitter.EmitNet(w, plan);
        OnnxExportEmitter.Net(w, plan);
        return w.ToString();
    }

    /// <summary>[source, y] → the network input slice, rows starting at <c>rowOffset</c>.</summary>
    private static void EmitFillInput(SourceWriter w, NetModelPlan plan, NetworkPlan net, string source, int sourceWidth, string rowOffset = "0")
    {
        string rowsExpr = net.RowsFactor == 2 ? "2 * rows" : "rows";
        w.Line($"var input = Act({net.InputField}, {rowsExpr}, {net.InputShape.Size});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line($"var ir = input.GetRowSpan({(rowOffset == "0" ? "r" : rowOffset + " + r")});");
        w.Line($"{source}.GetRowSpan(r).CopyTo(ir);");
        if (plan.K > 0)
            w.Line(AppendCondition(plan, net == plan.A && plan.Spec.Kind == NetKind.Vae || net == plan.B && plan.Spec.Kind == NetKind.Gan, "ir", "r", sourceWidth));
        w.Close();
    }

    /// <summary>The line that puts row <paramref name="row"/> of y after the data (or z) in <paramref name="target"/>.</summary>
    private static string AppendCondition(NetModelPlan plan, bool readsData, string target, string row, int sourceWidth) =>
        readsData && plan.ConditionAsChannels
            ? $"ConditionChannels({target}, y.GetRowSpan({row})); // {(plan.Spec.ConditionImage.IsSet ? $"y resized to {plan.Spec.Height}×{plan.Spec.Width} fills {(plan.Spec.ConditionImage.Channels == 1 ? $"channel {plan.Spec.Channels}" : $"channels {plan.Spec.Channels} … {plan.Spec.Channels + plan.Spec.ConditionImage.Channels - 1}")}" : $"y_k fills channel {plan.Spec.Channels}+k")}"
            : $"y.GetRowSpan({row}).CopyTo({target}.Slice({sourceWidth}));";

    /// <summary>For image data: the condition enters as constant channels after the image's (as conditional DCGANs do).</summary>
    private static void EmitConditionChannels(SourceWriter w, NetModelPlan plan)
    {
        int hw = plan.Spec.Height * plan.Spec.Width;
        if (plan.Spec.ConditionImage.IsSet)
        {
            var s = plan.Spec;
            w.Line($"/// <summary>Writes the condition image y [{s.ConditionImage.Channels}, {s.ConditionImage.Height}, {s.ConditionImage.Width}], resized to {s.Height}×{s.Width} by adaptive average pooling (torch's adaptive_avg_pool2d), over {(s.ConditionImage.Channels == 1 ? $"channel {s.Channels}" : $"channels {s.Channels} … {s.Channels + s.ConditionImage.Channels - 1}")} after the image in <paramref name=\"row\"/>.</summary>");
            w.Open("private static void ConditionChannels(Span<float> row, ReadOnlySpan<float> y)");
            w.Line($"ConditionKernels.Resize(y, {s.ConditionImage.Channels}, {s.ConditionImage.Height}, {s.ConditionImage.Width}, row.Slice({plan.D}, {s.ConditionImage.Channels * hw}), {s.Height}, {s.Width});");
            w.Close();
            w.Line();
            return;
        }
        w.Line($"/// <summary>Writes y_k over channel {plan.Spec.Channels} + k ({plan.Spec.Height}×{plan.Spec.Width} values each) after the image in <paramref name=\"row\"/>.</summary>");
        w.Open("private static void ConditionChannels(Span<float> row, ReadOnlySpan<float> y)");
        w.Line($"for (int k = 0; k < {plan.K}; k++) row.Slice({plan.D} + k * {hw}, {hw}).Fill(y[k]);");
        w.Close();
        w.Line();
    }

    private static void EmitNetwork(SourceWriter w, NetModelPlan plan, NetworkPlan net)
    {
        string title = char.ToUpperInvariant(net.Name[0]) + net.Name.Substring(1);
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// {title}: {NetworkEmitter.Widths(net)}");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Line($"/// <summary>The {net.Name} on the first <paramref name=\"rows\"/> rows of its input slice.</summary>");
        w.Open($"private void {title}Forward(int rows)");
        NetworkEmitter.EmitForward(w, net, training: "_trainingPass");
        w.Close();
        w.Line();
    }

    private static void EmitBackwardCall(SourceWriter w, NetworkPlan net, string gOutput, string? gInput, bool parameterGradients)
    {
        NetworkEmitter.EmitBackward(w, net, gOutput, "_gh0", "_gh1", gInput, parameterGradients);
    }

    // ------------------------------------------------------------------------------------ VAE
    private static void EmitVae(SourceWriter w, NetModelPlan plan)
    {
        bool cond = plan.K > 0;
        int D = plan.D, Z = plan.Z;
        string yParam = cond ? "ReadOnlySpan2D<float> y, " : "";
        string yArg = cond ? "y, " : "";
        string yCheck = "CheckCondition(y, rows);";
        int lk = plan.Spec.Likelihood;

        w.Line("// -------------------------------------------------------------------------------------");
        w.Line("// The ELBO. Per row, with z = μ + σ ⊙ ε:");
        w.Line("//   KL  = ½ Σ_j (μ_j² + σ_j² − ln σ_j² − 1)");
        w.Line(lk switch
        {
            0 => "//   rec = −ln p(x|z) = Σ_j softplus(l_j) − x_j·l_j        (Bernoulli on logits l)",
            1 => "//   rec = −ln p(x|z) = ½ Σ_j ((x_j − m_j)²·e^(−v_j) + v_j + ln 2π)   (mean m, log-variance v)",
            _ => "//   rec = −ln p(x|z) = ½ Σ_j ((x_j − m_j)²/σ² + ln σ² + ln 2π)",
        });
        w.Line("//   loss = mean over rows of rec + β·KL (the negative ELBO when β = 1)");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();

        // Encoder to (mu, logvar); z = mu + sigma * eps into the decoder input.
        w.Line("/// <summary>x (in _x) → encoder head [μ, ln σ²].</summary>");
        w.Open($"private void EncoderPass({yParam}int rows)");
        EmitFillInput(w, plan, plan.A, $"Act(_x, rows, {D})", D);
        w.Line("EncoderForward(rows);");
        w.Close();
        w.Line();
        w.Line("/// <summary>z = μ + σ ⊙ ε with ε from <paramref name=\"eps\"/> (or z = μ when null) → decoder input [z, y].</summary>");
        w.Open($"private void SampleLatent({yParam}int rows, Rng? eps)");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Line($"var e = Act(_eps, rows, {Z});");
        w.Line($"if (eps is null) e.Clear(); else eps.FillNormal(_activations.Span.Slice(_eps, rows * {Z}));");
        w.Line($"var decIn = Act(_decIn, rows, {Z + plan.K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var hr = head.GetRowSpan(r);");
        w.Line("var er = e.GetRowSpan(r);");
        w.Line("var zr = decIn.GetRowSpan(r);");
        w.Line($"for (int j = 0; j < {Z}; j++) zr[j] = hr[j] + MathF.Exp(0.5f * hr[{Z} + j]) * er[j]; // z = μ + σ ⊙ ε, σ = exp(½ ln σ²)");
        if (cond) w.Line($"y.GetRowSpan(r).CopyTo(zr.Slice({Z}));");
        w.Close();
        w.Close();
        w.Line();

        // Loss (+ optional gradient seeds) per row.
        w.Line("/// <summary>Reconstruction and KL per row (into <paramref name=\"rec\"/>, <paramref name=\"kl\"/>; KL skipped when it is empty); with <paramref name=\"gradient\"/>, also ∂L/∂(decoder head) for L = mean(rec + β·KL).</summary>");
        w.Open("private void RowLosses(int rows, Span<float> rec, Span<float> kl, bool gradient)");
        w.Line($"var x = Act(_x, rows, {D});");
        w.Line($"var o = Act(_decHead, rows, {plan.DecoderOut});");
        w.Line($"var go = Act(_gDecHead, rows, {plan.DecoderOut});");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Line("float invRows = 1f / rows;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var xr = x.GetRowSpan(r);");
        w.Line("var orow = o.GetRowSpan(r);");
        w.Line("var gor = go.GetRowSpan(r);");
        w.Line($"var terms = _activations.Span.Slice(_terms, {D});");
        switch (lk)
        {
            case 0:
                w.Line("// Σ softplus(l) − x·l, and ∂/∂l = σ(l) − x, vectorised");
                w.Line("float sum = ModelKernels.BernoulliLogits(orow, xr, gradient ? gor : Span<float>.Empty, invRows, terms);");
                break;
            case 1:
                w.Line($"// Σ ½((x − m)²·e^(−v) + v) + ½ ln 2π per element; ∂/∂m = −(x − m)·e^(−v), ∂/∂v = ½(1 − (x − m)²·e^(−v)), vectorised");
                w.Line($"float sum = ModelKernels.GaussianLearned(orow.Slice(0, {D}), orow.Slice({D}, {D}), xr, gradient ? gor.Slice(0, {D}) : Span<float>.Empty, gradient ? gor.Slice({D}, {D}) : Span<float>.Empty, invRows, terms) + {D} * HalfLog2Pi;");
                break;
            default:
                w.Line("double sum = 0;");
                w.Open($"for (int j = 0; j < {D}; j++)");
                w.Line("float d = xr[j] - orow[j];");
                w.Line("sum += 0.5f * d * d / (Sigma * Sigma) + MathF.Log(Sigma) + HalfLog2Pi;");
                w.Line("if (gradient) gor[j] = -d / (Sigma * Sigma) * invRows; // ∂/∂m");
                w.Close();
                break;
        }
        w.Line("rec[r] = (float)sum;");
        w.Line("if (kl.IsEmpty) continue;");
        w.Line("var hr = head.GetRowSpan(r);");
        w.Line("double k = 0;");
        w.Open($"for (int j = 0; j < {Z}; j++)");
        w.Line($"float mu = hr[j], lv = hr[{Z} + j];");
        w.Line("k += 0.5 * (mu * mu + MathF.Exp(lv) - lv - 1f);");
        w.Close();
        w.Line("kl[r] = (float)k;");
        w.Close();
        w.Close();
        w.Line();

        // Backward + TrainStep
        w.Line("/// <summary>Forward and backward on a batch: fills <see cref=\"Gradients\"/> (overwriting them) and returns the mean loss rec + β·KL and its two terms.</summary>");
        w.Open($"public VaeLoss Backward(ReadOnlySpan2D<float> batch{(cond ? ", ReadOnlySpan2D<float> y" : "")})");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: true);
        w.Line($"int rows = CheckBatch(batch, nameof(batch), FeatureCount);");
        w.Line("CheckFinite(batch, nameof(batch));");
        if (cond) w.Line(yCheck);
        w.Line($"batch.CopyTo(Act(_x, rows, {D}));");
        w.Line($"EncoderPass({yArg}rows);");
        w.Line($"SampleLatent({yArg}rows, _noise);");
        w.Line("DecoderForward(rows);");
        w.Line("var rec = _activations.Span.Slice(_rowA, rows);");
        w.Line("var kl = _activations.Span.Slice(_rowB, rows);");
        w.Line("RowLosses(rows, rec, kl, gradient: true);");
        w.Line("float invRows = 1f / rows;");
        w.Line("double recSum = 0, klSum = 0;");
        w.Line("for (int r = 0; r < rows; r++) { recSum += rec[r]; klSum += kl[r]; }");
        w.Line("// decoder, last layer first; ∂L/∂[z, y] lands in _gDecIn");
        EmitBackwardCall(w, plan.B, "_gDecHead", "_gDecIn", parameterGradients: true);
        w.Line("// z = μ + σ ⊙ ε and β·KL: ∂L/∂μ = ∂L/∂z + β·μ/B ; ∂L/∂ln σ² = ∂L/∂z·ε·σ/2 + β·(σ² − 1)/(2B)");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Line($"var gHead = Act(_gEncHead, rows, {2 * Z});");
        w.Line($"var gz = Act(_gDecIn, rows, {Z + plan.K});");
        w.Line($"var e = Act(_eps, rows, {Z});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var hr = head.GetRowSpan(r);");
        w.Line("var ghr = gHead.GetRowSpan(r);");
        w.Line("var gzr = gz.GetRowSpan(r);");
        w.Line("var er = e.GetRowSpan(r);");
        w.Open($"for (int j = 0; j < {Z}; j++)");
        w.Line($"float mu = hr[j], sigma = MathF.Exp(0.5f * hr[{Z} + j]);");
        w.Line("ghr[j] = gzr[j] + Beta * mu * invRows;");
        w.Line($"ghr[{Z} + j] = 0.5f * (gzr[j] * er[j] * sigma + Beta * (sigma * sigma - 1f) * invRows);");
        w.Close();
        w.Close();
        w.Line("// encoder, last layer first (no gradient for the data)");
        EmitBackwardCall(w, plan.A, "_gEncHead", null, parameterGradients: true);
        w.Line("float recMean = (float)(recSum * invRows), klMean = (float)(klSum * invRows);");
        w.Line("return new VaeLoss(recMean + Beta * klMean, recMean, klMean);");
        w.Close();
        w.Line();

        w.Line("/// <summary>One training step: <see cref=\"Backward\"/>, then <paramref name=\"optimizer\"/>.Step(). Returns the batch's loss before the step.</summary>");
        w.Open($"public VaeLoss TrainStep(ReadOnlySpan2D<float> batch, {(cond ? "ReadOnlySpan2D<float> y, " : "")}Optimizer optimizer)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        w.Line("ArgumentNullException.ThrowIfNull(optimizer);");
        w.Line($"var loss = Backward(batch{(cond ? ", y" : "")});");
        w.Line("optimizer.Step();");
        w.Line("return loss;");
        w.Close();
        w.Line();

        // Encode / Decode / Reconstruct / Sample
        w.Line("/// <summary>The encoder's q(z|x): mean μ and log-variance ln σ² per row.</summary>");
        w.Open($"public void Encode(ReadOnlySpan2D<float> x, {yParam}Span2D<float> mu, Span2D<float> logVar)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        if (cond) w.Line(yCheck);
        w.Line("CheckOutput(mu, rows, LatentCount, nameof(mu));");
        w.Line("CheckOutput(logVar, rows, LatentCount, nameof(logVar));");
        w.Line($"x.CopyTo(Act(_x, rows, {D}));");
        w.Line($"EncoderPass({yArg}rows);");
        w.Line($"SampleLatent({yArg}rows, null);");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line($"head.GetRowSpan(r).Slice(0, {Z}).CopyTo(mu.GetRowSpan(r));");
        w.Line($"head.GetRowSpan(r).Slice({Z}, {Z}).CopyTo(logVar.GetRowSpan(r));");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>The decoder's mean E[x|z]" + (lk == 0 ? " (Bernoulli probabilities σ(l))" : "") + " per row.</summary>");
        w.Open($"public void Decode(ReadOnlySpan2D<float> z, {yParam}Span2D<float> x)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(z, nameof(z), LatentCount);");
        w.Line("CheckFinite(z, nameof(z));");
        if (cond) w.Line(yCheck);
        w.Line("CheckOutput(x, rows, FeatureCount, nameof(x));");
        EmitFillInput(w, plan, plan.B, "z", Z);
        w.Line("DecoderForward(rows);");
        w.Line("WriteMean(rows, x);");
        w.Close();
        w.Line();

        w.Open("private void WriteMean(int rows, Span2D<float> x)");
        w.Line($"var o = Act(_decHead, rows, {plan.DecoderOut});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var orow = o.GetRowSpan(r);");
        w.Line("var xr = x.GetRowSpan(r);");
        w.Line(lk == 0
            ? $"for (int j = 0; j < {D}; j++) xr[j] = 1f / (1f + MathF.Exp(-orow[j]));"
            : $"orow.Slice(0, {D}).CopyTo(xr);");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>x → μ(x) → decoder mean: the reconstruction without sampling noise.</summary>");
        w.Open($"public void Reconstruct(ReadOnlySpan2D<float> x, {yParam}Span2D<float> xHat)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        if (cond) w.Line(yCheck);
        w.Line("CheckOutput(xHat, rows, FeatureCount, nameof(xHat));");
        w.Line($"x.CopyTo(Act(_x, rows, {D}));");
        w.Line($"EncoderPass({yArg}rows);");
        w.Line($"SampleLatent({yArg}rows, null);");
        w.Line("DecoderForward(rows);");
        w.Line("WriteMean(rows, xHat);");
        w.Close();
        w.Line();

        w.Line("/// <summary>Draws z ~ N(0, I) from <paramref name=\"rng\"/> and writes the decoder's mean for each row.</summary>");
        w.Open($"public void Sample(Span2D<float> x, {yParam}Rng rng)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("ArgumentNullException.ThrowIfNull(rng);");
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        if (cond) w.Line(yCheck);
        w.Line($"var decIn = Act(_decIn, rows, {Z + plan.K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var zr = decIn.GetRowSpan(r);");
        w.Line($"rng.FillNormal(zr.Slice(0, {Z}));");
        if (cond) w.Line($"y.GetRowSpan(r).CopyTo(zr.Slice({Z}));");
        w.Close();
        w.Line("DecoderForward(rows);");
        w.Line("WriteMean(rows, x);");
        w.Close();
        w.Line();

        w.Line("/// <summary>The ELBO per row (one sample of z; β = 1): ln p(x) ≥ −rec − KL.</summary>");
        w.Open($"public void Elbo(ReadOnlySpan2D<float> x, {yParam}Span<float> perRow)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        if (cond) w.Line(yCheck);
        w.Line("CheckVector(perRow, rows, nameof(perRow));");
        w.Line($"x.CopyTo(Act(_x, rows, {D}));");
        w.Line($"EncoderPass({yArg}rows);");
        w.Line($"SampleLatent({yArg}rows, _evalNoise);");
        w.Line("DecoderForward(rows);");
        w.Line("var rec = _activations.Span.Slice(_rowA, rows);");
        w.Line("var kl = _activations.Span.Slice(_rowB, rows);");
        w.Line("RowLosses(rows, rec, kl, gradient: false);");
        w.Line("for (int r = 0; r < rows; r++) perRow[r] = -(rec[r] + kl[r]);");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// The importance-weighted estimate of ln p(x) per row (IWAE, <paramref name=\"k\"/> samples):");
        w.Line("/// ln (1/k) Σ_i p(x|z_i)·p(z_i)/q(z_i|x), z_i = μ + σ ⊙ ε_i. Tighter than the ELBO as k grows.");
        w.Line("/// </summary>");
        w.Open($"public void ImportanceLogLikelihood(ReadOnlySpan2D<float> x, {yParam}int k, Span<float> perRow)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        if (cond) w.Line(yCheck);
        w.Line("CheckVector(perRow, rows, nameof(perRow));");
        w.Line("if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, \"k is the number of importance samples: use 1 or more.\");");
        w.Line($"x.CopyTo(Act(_x, rows, {D}));");
        w.Line("var max = _activations.Span.Slice(_rowA, rows);");
        w.Line("var sum = _activations.Span.Slice(_rowB, rows);");
        w.Line("max.Fill(float.NegativeInfinity);");
        w.Line("sum.Clear();");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Line($"var e = Act(_eps, rows, {Z});");
        w.Line($"var zIn = Act(_decIn, rows, {Z + plan.K});");
        w.Line($"EncoderPass({yArg}rows); // q(z|x) once; k samples of z from it");
        w.Open("for (int i = 0; i < k; i++)");
        w.Line($"SampleLatent({yArg}rows, _evalNoise);");
        w.Line("DecoderForward(rows);");
        w.Line("// log w = ln p(x|z) + ln N(z; 0, I) − ln N(z; μ, σ²) = −rec − ½Σz² + ½Σε² + ½Σ ln σ²; perRow holds rec meanwhile");
        w.Line("RowLosses(rows, perRow, Span<float>.Empty, gradient: false);");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var hr = head.GetRowSpan(r);");
        w.Line("var er = e.GetRowSpan(r);");
        w.Line("var zr = zIn.GetRowSpan(r);");
        w.Line("double logW = -perRow[r];");
        w.Line($"for (int j = 0; j < {Z}; j++) logW += 0.5 * (er[j] * er[j] - zr[j] * zr[j] + hr[{Z} + j]);");
        w.Line("// running log-sum-exp: keep the max and Σ exp(log w − max)");
        w.Line("float lw = (float)logW;");
        w.Line("if (lw > max[r]) { sum[r] = sum[r] * MathF.Exp(max[r] - lw) + 1f; max[r] = lw; }");
        w.Line("else sum[r] += MathF.Exp(lw - max[r]);");
        w.Close();
        w.Close();
        w.Line("float logK = MathF.Log(k);");
        w.Line("for (int r = 0; r < rows; r++) perRow[r] = max[r] + MathF.Log(sum[r]) - logK;");
        w.Close();
        w.Line();
    }

    /// <summary>
    /// WGAN-GP's penalty P = (λ/B)·Σ_r (‖∇ₓD(x̂_r)‖ − 1)² and its exact gradient for a piecewise-linear
    /// critic. With masks m_l = f′ of critic layer l at x̂ (constant almost everywhere):
    /// ∇ₓD = u₀ where u_L = w_head, v_l = u_{l+1} ⊙ m_l, u_l = v_l·W_l. Then, with γ = ∂P/∂u₀,
    /// t₀ = γ and going back up: ∂P/∂W_l = v_lᵀ·t_l, t_{l+1} = (t_l·W_lᵀ) ⊙ m_l, ∂P/∂w_head = Σ_rows t_L.
    /// </summary>
    private static void EmitGradientPenalty(SourceWriter w, NetModelPlan plan)
    {
        var net = plan.B;
        var critic = net.Emitting.ToList(); // dense layers only (GD0014)
        var headNode = critic[critic.Count - 1];
        int L = critic.Count - 1; // hidden layers of the critic
        int D = plan.D, K = plan.K;
        int dIn = net.InputShape.Size;
        int hL = headNode.In.Size;
        w.Line("/// <summary>");
        w.Line("/// The gradient penalty P = (λ/B)·Σ_r (‖∇ₓD(x̂_r)‖ − 1)² on the interpolates (rows 2B…3B of the critic's");
        w.Line("/// activations); ADDS ∂P/∂W to the critic's weight gradients and returns P. The critic is piecewise linear,");
        w.Line("/// so ∇ₓD is a product of weights and activation masks, and P's gradient is exact.");
        w.Line("/// </summary>");
        w.Open("private float GradientPenalty(int rows)");
        w.Line("// u_L = w_head for every row");
        w.Line($"var head = _parameters.Span.Slice({headNode.Const("W")}, {hL});");
        w.Line($"var top = Act(_gpA, rows, {hL});");
        w.Line("for (int r = 0; r < rows; r++) head.CopyTo(top.GetRowSpan(r));");
        string cur = "_gpA", other = "_gpB";
        for (int l = L - 1; l >= 0; l--)
        {
            var dense = critic[l];
            string mask = Mask(dense.Activation, "h[j]");
            w.Line($"// v{l} = u{l + 1} ⊙ f′(layer {l + 1} at x̂) ; u{l} = v{l} · W{l}");
            w.Open();
            w.Line($"var hOut = Act({dense.OutputField}, 3 * rows, {dense.Out.Size}).Slice(2 * rows, 0, rows, {dense.Out.Size});");
            w.Line($"var u = Act({cur}, rows, {dense.Out.Size});");
            w.Line($"var v = Act(_gpV{l}, rows, {dense.Out.Size});");
            w.Open("for (int r = 0; r < rows; r++)");
            w.Line("var h = hOut.GetRowSpan(r);");
            w.Line("var ur = u.GetRowSpan(r);");
            w.Line("var vr = v.GetRowSpan(r);");
            w.Line($"for (int j = 0; j < {dense.Out.Size}; j++) vr[j] = ur[j] * {mask};");
            w.Close();
            w.Line($"Gemm.Multiply(v, false, Param({dense.Const("W")}, {dense.Out.Size}, {dense.In.Size}), false, Act({other}, rows, {dense.In.Size}), pool: _pool);");
            w.Close();
            (cur, other) = (other, cur);
        }
        w.Line($"// ∇ₓD = u0[:, :{D}] (the condition's columns are not penalised); γ = ∂P/∂u0 = (2λ/B)·(‖g‖ − 1)·g/‖g‖, written over u0");
        w.Line($"var grad = Act({cur}, rows, {dIn});");
        w.Line("double penalty = 0;");
        w.Line("float scale = 2f * GradientPenaltyWeight / rows;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var gr = grad.GetRowSpan(r);");
        w.Line($"float norm = MathF.Sqrt(global::System.Numerics.Tensors.TensorPrimitives.SumOfSquares(gr.Slice(0, {D})));");
        w.Line("penalty += (norm - 1f) * (norm - 1f);");
        w.Line("float c = norm > 0f ? scale * (norm - 1f) / norm : 0f;");
        w.Line($"global::System.Numerics.Tensors.TensorPrimitives.Multiply(gr.Slice(0, {D}), c, gr.Slice(0, {D}));");
        if (K > 0) w.Line($"gr.Slice({D}).Clear();");
        w.Close();
        for (int l = 0; l < L; l++)
        {
            var dense = critic[l];
            string mask = Mask(dense.Activation, "h[j]");
            w.Line($"// ∂P/∂W{l} += v{l}ᵀ · t{l} ; t{l + 1} = (t{l} · W{l}ᵀ) ⊙ f′(layer {l + 1} at x̂)");
            w.Open();
            w.Line($"var t = Act({cur}, rows, {dense.In.Size});");
            w.Line($"Gemm.Multiply(Act(_gpV{l}, rows, {dense.Out.Size}), true, t, false, Grad({dense.Const("W")}, {dense.Out.Size}, {dense.In.Size}), beta: 1f, pool: _pool);");
            w.Line($"var next = Act({other}, rows, {dense.Out.Size});");
            w.Line($"Gemm.Multiply(t, false, Param({dense.Const("W")}, {dense.Out.Size}, {dense.In.Size}), true, next, pool: _pool);");
            w.Line($"var hOut = Act({dense.OutputField}, 3 * rows, {dense.Out.Size}).Slice(2 * rows, 0, rows, {dense.Out.Size});");
            w.Open("for (int r = 0; r < rows; r++)");
            w.Line("var h = hOut.GetRowSpan(r);");
            w.Line("var nr = next.GetRowSpan(r);");
            w.Line($"for (int j = 0; j < {dense.Out.Size}; j++) nr[j] *= {mask};");
            w.Close();
            w.Close();
            (cur, other) = (other, cur);
        }
        w.Line("// ∂P/∂w_head += Σ_rows t_L (the head's bias does not enter ∇ₓD)");
        w.Line($"GemmBackward.ColumnSums(Act({cur}, rows, {hL}), _gradients.Span.Slice({headNode.Const("W")}, {hL}), accumulate: true, _pool);");
        w.Line("return (float)(GradientPenaltyWeight * penalty / rows);");
        w.Close();
        w.Line();
    }

    /// <summary>Sets the pass's training flag first thing in a public method (only for models with batch norms).</summary>
    private static void Pass(SourceWriter w, NetModelPlan plan, bool training)
    {
        if (plan.UsesTrainingFlag)
            w.Line(training ? "_trainingPass = true; // batch statistics, running ones updated" : "_trainingPass = Training; // running statistics unless Training");
    }

    /// <summary>f′ of a piecewise-linear activation from its output.</summary>
    private static string Mask(int activation, string y) => activation switch
    {
        1 => $"({y} > 0f ? 1f : 0f)",
        2 => $"({y} > 0f ? 1f : 0.2f)",
        _ => "1f",
    };

    // ------------------------------------------------------------------------------------ GAN
    private static void EmitGan(SourceWriter w, NetModelPlan plan)
    {
        bool cond = plan.K > 0;
        int D = plan.D, Z = plan.Z, K = plan.K;
        int dIn = plan.B.InputShape.Size; // D + K, or D + K·H·W when y enters as channels
        int loss = plan.Spec.Loss;
        string yParam = cond ? "ReadOnlySpan2D<float> y, " : "";
        string yArg = cond ? "y, " : "";
        string yCheck = "CheckCondition(y, rows);";

        w.Line("// -------------------------------------------------------------------------------------");
        w.Line("// Losses on the discriminator's logits l (d = σ(l)); means over the batch.");
        w.Line(loss switch
        {
            2 => "//   D: max(0, 1 − l_real) + max(0, 1 + l_fake)        G: −l_fake   (hinge)",
            3 => "//   D: l_fake − l_real + λ·(‖∇ₓD(x̂)‖ − 1)², x̂ = ε·x + (1 − ε)·f(z)     G: −l_fake   (WGAN-GP; l is the critic's output)",
            _ => "//   D: −ln σ(l_real) − ln(1 − σ(l_fake)) = softplus(−l_real) + softplus(l_fake)",
        });
        if (loss == 0) w.Line("//   G: −ln σ(l_fake) = softplus(−l_fake)   (non-saturating)");
        if (loss == 1) w.Line("//   G: ln(1 − σ(l_fake)) = −softplus(l_fake)   (minimax)");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();

        w.Line("/// <summary>z ~ N(0, I) from <paramref name=\"rng\"/> (with y) → generator → _fake.</summary>");
        w.Open($"private void Generate({yParam}int rows, Rng rng)");
        w.Line($"var input = Act(_genIn, rows, {Z + K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ir = input.GetRowSpan(r);");
        w.Line($"rng.FillNormal(ir.Slice(0, {Z}));");
        if (cond) w.Line($"y.GetRowSpan(r).CopyTo(ir.Slice({Z}));");
        w.Close();
        w.Line("GeneratorForward(rows);");
        w.Close();
        w.Line();

        w.Line("/// <summary>Softplus, stable for large |x|.</summary>");
        w.Line("private static float Softplus(float x) => MathF.Max(x, 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x)));");
        w.Line();

        // Discriminator step on given real and fake (fake already in _disIn rows [rows, 2rows) or copied).
        w.Line("/// <summary>One discriminator update on real rows and fake rows (both with y); returns its loss.</summary>");
        w.Open($"public float TrainDiscriminator(ReadOnlySpan2D<float> real, ReadOnlySpan2D<float> fake, {yParam}Optimizer optimizer)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: true);
        w.Line("ArgumentNullException.ThrowIfNull(optimizer);");
        w.Line("int rows = CheckBatch(real, nameof(real), FeatureCount);");
        w.Line("CheckFinite(real, nameof(real));");
        w.Line("if (CheckBatch(fake, nameof(fake), FeatureCount) != rows)");
        w.Line("    throw new ArgumentException($\"fake has {fake.Height} rows but real has {rows}: pass as many fake rows as real ones.\", nameof(fake));");
        w.Line("CheckFinite(fake, nameof(fake));");
        if (cond) w.Line(yCheck);
        w.Line("float loss = DiscriminatorStep(real, fake, " + yArg + "rows);");
        w.Line("optimizer.Step();");
        w.Line("return loss;");
        w.Close();
        w.Line();

        bool wgan = loss == 3;
        string f = wgan ? "3" : "2";
        if (wgan)
            w.Line($"private const float GradientPenaltyWeight = {Lit.F(plan.Spec.GradientPenalty)}; // λ");
        w.Open($"private float DiscriminatorStep(ReadOnlySpan2D<float> real, ReadOnlySpan2D<float> fake, {yParam}int rows)");
        w.Line($"var input = Act(_disIn, {f} * rows, {dIn});");
        if (wgan)
        {
            w.Line("var eps = _activations.Span.Slice(_eps, rows);");
            w.Line("_noise.FillUniform(eps);");
        }
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ir = input.GetRowSpan(r);");
        w.Line("var jr = input.GetRowSpan(rows + r);");
        w.Line("real.GetRowSpan(r).CopyTo(ir);");
        w.Line("fake.GetRowSpan(r).CopyTo(jr);");
        if (wgan)
        {
            w.Line("var kr = input.GetRowSpan(2 * rows + r);");
            w.Line($"for (int j = 0; j < {D}; j++) kr[j] = eps[r] * ir[j] + (1f - eps[r]) * jr[j]; // x̂ = ε·x + (1 − ε)·x̃");
        }
        if (cond)
        {
            w.Line(AppendCondition(plan, true, "ir", "r", D));
            w.Line(AppendCondition(plan, true, "jr", "r", D));
            if (wgan) w.Line(AppendCondition(plan, true, "kr", "r", D));
        }
        w.Close();
        w.Line($"DiscriminatorForward({f} * rows);");
        w.Line($"var logit = _activations.Span.Slice(_logit, {f} * rows);");
        w.Line($"var g = _activations.Span.Slice(_gLogit, {f} * rows);");
        w.Line("float invRows = 1f / rows;");
        w.Line("double loss = 0;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("float lr = logit[r], lf = logit[rows + r];");
        if (loss == 2)
        {
            w.Line("loss += MathF.Max(0f, 1f - lr) + MathF.Max(0f, 1f + lf);");
            w.Line("g[r] = lr < 1f ? -invRows : 0f;          // ∂/∂l_real of max(0, 1 − l)");
            w.Line("g[rows + r] = lf > -1f ? invRows : 0f;   // ∂/∂l_fake of max(0, 1 + l)");
        }
        else if (wgan)
        {
            w.Line("loss += lf - lr;");
            w.Line("g[r] = -invRows;");
            w.Line("g[rows + r] = invRows;");
            w.Line("g[2 * rows + r] = 0f; // the interpolates enter through the penalty only");
        }
        else
        {
            w.Line("loss += Softplus(-lr) + Softplus(lf);");
            w.Line("g[r] = (1f / (1f + MathF.Exp(-lr)) - 1f) * invRows; // ∂ softplus(−l)/∂l = σ(l) − 1");
            w.Line("g[rows + r] = 1f / (1f + MathF.Exp(-lf)) * invRows;  // ∂ softplus(l)/∂l = σ(l)");
        }
        w.Close();
        w.Line($"// discriminator backward over the {f}·rows rows at once");
        w.Line("{");
        w.Indent();
        w.Line("int half = rows;");
        w.Line($"rows = {f} * half;");
        EmitBackwardCall(w, plan.B, "_gLogit", null, parameterGradients: true);
        w.Line("rows = half;");
        w.Unindent();
        w.Line("}");
        if (wgan)
            w.Line("loss += GradientPenalty(rows) * rows; // adds its gradient to the critic's");
        w.Line("return (float)(loss * invRows);");
        w.Close();
        w.Line();
        if (wgan)
            EmitGradientPenalty(w, plan);

        w.Line("/// <summary>");
        w.Line("/// The course's alternating scheme: <paramref name=\"discriminatorSteps\"/> discriminator updates (real batch vs fresh fakes),");
        w.Line("/// then one generator update. Returns the last discriminator loss and the generator loss.");
        w.Line("/// </summary>");
        w.Open($"public GanLosses TrainStep(ReadOnlySpan2D<float> batch, {yParam}Optimizer discriminatorOptimizer, Optimizer generatorOptimizer, int discriminatorSteps = 1)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: true);
        w.Line("ArgumentNullException.ThrowIfNull(discriminatorOptimizer);");
        w.Line("ArgumentNullException.ThrowIfNull(generatorOptimizer);");
        w.Line("if (discriminatorSteps < 1) throw new ArgumentOutOfRangeException(nameof(discriminatorSteps), discriminatorSteps, \"Use 1 or more discriminator steps per generator step.\");");
        w.Line("int rows = CheckBatch(batch, nameof(batch), FeatureCount);");
        w.Line("CheckFinite(batch, nameof(batch));");
        if (cond) w.Line(yCheck);
        w.Line("float dLoss = 0;");
        w.Open("for (int s = 0; s < discriminatorSteps; s++)");
        w.Line($"Generate({yArg}rows, _noise);");
        w.Line($"dLoss = DiscriminatorStep(batch, Act(_fake, rows, {D}), {yArg}rows);");
        w.Line("discriminatorOptimizer.Step();");
        w.Close();
        w.Line("float gLoss = GeneratorStep(" + yArg + "rows);");
        w.Line("generatorOptimizer.Step();");
        w.Line("return new GanLosses(dLoss, gLoss);");
        w.Close();
        w.Line();

        w.Open($"private float GeneratorStep({yParam}int rows)");
        w.Line($"Generate({yArg}rows, _noise);");
        w.Line($"var fake = Act(_fake, rows, {D});");
        w.Line($"var input = Act(_disIn, rows, {dIn});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ir = input.GetRowSpan(r);");
        w.Line("fake.GetRowSpan(r).CopyTo(ir);");
        if (cond) w.Line(AppendCondition(plan, true, "ir", "r", D));
        w.Close();
        w.Line("DiscriminatorForward(rows);");
        w.Line("var logit = _activations.Span.Slice(_logit, rows);");
        w.Line("var g = _activations.Span.Slice(_gLogit, rows);");
        w.Line("float invRows = 1f / rows;");
        w.Line("double loss = 0;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("float l = logit[r];");
        switch (loss)
        {
            case 0:
                w.Line("loss += Softplus(-l);");
                w.Line("g[r] = (1f / (1f + MathF.Exp(-l)) - 1f) * invRows; // ∂ softplus(−l)/∂l = σ(l) − 1");
                break;
            case 1:
                w.Line("loss -= Softplus(l);");
                w.Line("g[r] = -1f / (1f + MathF.Exp(-l)) * invRows; // ∂(−softplus(l))/∂l = −σ(l)");
                break;
            default:
                w.Line("loss -= l;");
                w.Line("g[r] = -invRows;");
                break;
        }
        w.Close();
        w.Line("// through the discriminator to its input (its parameters' gradients are not needed here)");
        EmitBackwardCall(w, plan.B, "_gLogit", "_gDisIn", parameterGradients: false);
        w.Line($"var gIn = Act(_gDisIn, rows, {dIn});");
        w.Line($"var gFake = Act(_gFake, rows, {D});");
        w.Line($"for (int r = 0; r < rows; r++) gIn.GetRowSpan(r).Slice(0, {D}).CopyTo(gFake.GetRowSpan(r));");
        w.Line("// generator, last layer first");
        EmitBackwardCall(w, plan.A, "_gFake", null, parameterGradients: true);
        w.Line("return (float)(loss * invRows);");
        w.Close();
        w.Line();

        w.Line("/// <summary>Draws rows x = f(z), z ~ N(0, I) from <paramref name=\"rng\"/>" + (cond ? ", for the given conditions" : "") + ".</summary>");
        w.Open($"public void Sample(Span2D<float> x, {yParam}Rng rng)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("ArgumentNullException.ThrowIfNull(rng);");
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        if (cond) w.Line(yCheck);
        w.Line($"Generate({yArg}rows, rng);");
        w.Line($"Act(_fake, rows, {D}).CopyTo(x);");
        w.Close();
        w.Line();

        w.Line("/// <summary>The discriminator's probability d(x) = σ(logit) that each row is real.</summary>");
        w.Open($"public void Discriminate(ReadOnlySpan2D<float> x, {yParam}Span<float> probability)");
        ModelEmitter.Guard(w, plan.Spec.ClassName);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        if (cond) w.Line(yCheck);
        w.Line("CheckVector(probability, rows, nameof(probability));");
        w.Line($"var input = Act(_disIn, rows, {dIn});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("x.GetRowSpan(r).CopyTo(input.GetRowSpan(r));");
        if (cond) w.Line(plan.ConditionAsChannels ? "ConditionChannels(input.GetRowSpan(r), y.GetRowSpan(r));" : $"y.GetRowSpan(r).CopyTo(input.GetRowSpan(r).Slice({D}));");
        w.Close();
        w.Line("DiscriminatorForward(rows);");
        w.Line("var logit = _activations.Span.Slice(_logit, rows);");
        w.Line("for (int r = 0; r < rows; r++) probability[r] = 1f / (1f + MathF.Exp(-logit[r]));");
        w.Close();
        w.Line();
    }
}
