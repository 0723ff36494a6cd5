using System.Linq;
using GenDsl.Generators.Common;
using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>
/// Writes the C# of a [SemiSupervisedVae] (M2): the three networks' passes (catalogue ops through
/// <see cref="NetworkEmitter"/>), the combined loss of labelled and unlabelled rows with its gradient in
/// one pass, and the public API (TrainStep, TrainClassifier, Classify, Predict, Encode, Decode, Sample,
/// Transfer, Elbo), then the PyTorch and ONNX exports (<see cref="PyTorchExportEmitter"/>, <see cref="OnnxExportEmitter"/>).
/// The shared pieces (arenas, checks, checkpoints, the thread guard) come from <see cref="ModelEmitter"/>. The formulas are in docs/semi-supervised.md.
/// </summary>
internal static class SemiSupervisedEmitter
{
    public static string Emit(SemiSupervisedPlan plan)
    {
        var w = new SourceWriter();
        var spec = plan.Spec;
        var layout = plan.Layout;
        int D = plan.D, Z = plan.Z, K = plan.K;
        ModelEmitter.Header(w, "SemiSupervisedVae", spec.FullName, spec.Namespace);

        w.Line($"/// <summary>Semi-supervised VAE (M2): {D} features, latent z of {Z}, {K} classes, Bernoulli decoder; {plan.ParameterCount} parameters.</summary>");
        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"GenDsl.Generators\", \"1.0.0\")]");
        w.Open($"partial class {spec.ClassName} : ISemiSupervisedModel");

        // ---------------------------------------------------------------- constants
        w.Line(spec.HasImageShape ? $"/// <summary>Columns of a data row: a {spec.Channels}×{spec.Height}×{spec.Width} image, channel-major.</summary>" : "/// <summary>Columns of a data row.</summary>");
        w.Line($"public const int FeatureCount = {D};");
        if (spec.HasImageShape)
        {
            w.Line("/// <summary>The data's image shape: channels, height, width.</summary>");
            w.Line($"public const int Channels = {spec.Channels}, Height = {spec.Height}, Width = {spec.Width};");
        }
        w.Line("/// <summary>Size of the continuous latent z.</summary>");
        w.Line($"public const int LatentCount = {Z};");
        w.Line("/// <summary>Number of classes K of y.</summary>");
        w.Line($"public const int ClassCount = {K};");
        w.Line("/// <summary>No external condition: y is the model's own discrete latent.</summary>");
        w.Line("public const int ConditionCount = 0;");
        w.Line("/// <summary>Learned parameters (without the arena's alignment padding).</summary>");
        w.Line($"public const int TotalParameters = {plan.ParameterCount};");
        w.Line("/// <summary>Hash of the declaration, stored in checkpoints to refuse loading into another architecture.</summary>");
        w.Line($"public const string DeclarationHash = \"{plan.DeclarationHash}\";");
        w.Line("/// <summary>α of the declaration: the weight of the labelled rows' −ln q(y|x) (see <see cref=\"Alpha\"/>).</summary>");
        w.Line($"public const float DeclaredAlpha = {Lit.F(spec.Alpha)};");
        w.Line("/// <summary>σ of the declaration's training noise on the classifier's input (see <see cref=\"ClassifierNoise\"/>).</summary>");
        w.Line($"public const float DeclaredClassifierNoise = {Lit.F(spec.ClassifierNoise)};");
        w.Line($"private const float LogClasses = {Lit.F((float)System.Math.Log(K))}; // −ln p(y) = ln K, p(y) uniform");
        w.Line($"private const int EncoderInput = {plan.Encoder.InputShape.Size}; // [x, onehot(y)]{(plan.ConditionAsChannels ? " with y as constant channels" : "")}");
        w.Line();
        ModelEmitter.ArenaConstants(w, layout,
            $"// ---- Parameter arena: offsets in floats (64-byte aligned); gradients use the same layout. The decoder starts at {plan.DecoderOffset}, the classifier at {plan.ClassifierOffset}.",
            $"private const int DecoderOffset = {plan.DecoderOffset};",
            $"private const int ClassifierOffset = {plan.ClassifierOffset};");
        ModelEmitter.TensorTable(w, layout);
        int declared = w.Length;
        NetworkEmitter.EmitDeclarations(w, plan.Encoder);
        NetworkEmitter.EmitDeclarations(w, plan.Decoder);
        NetworkEmitter.EmitDeclarations(w, plan.Classifier);
        if (w.Length != declared)
            w.Line();

        // ---------------------------------------------------------------- state
        ModelEmitter.StateFields(w, layout);
        w.Line("private readonly Rng _noise; // ε of training steps, from ModelOptions.Seed, stream 1");
        w.Line("private readonly Rng _evalNoise; // ε of Elbo, stream 2: evaluating mid-training leaves the training run unchanged");
        w.Line("private readonly ParameterPart _encoderPart, _decoderPart, _classifierPart;");
        w.Line("private readonly int[] _rowClass; // the class y of each encoder/decoder row");
        if (plan.UsesTrainingFlag)
            w.Line("private bool _trainingPass; // this pass uses batch statistics (and updates the running ones)");
        w.Line();
        w.Line($"// ---- Activation arena: the encoder's and decoder's slices hold {plan.Replicas}·MaxBatch rows (labelled rows, then each unlabelled row once per class), the classifier's 2·MaxBatch.");
        ModelEmitter.ActivationFieldDeclarations(w, layout);
        foreach (var (member, type, _) in plan.LayerViews)
            w.Line($"private readonly global::GenDsl.{type} _{member}Layer;");
        w.Line();

        // ---------------------------------------------------------------- constructor
        w.Line("/// <summary>Allocates the arenas once and initialises the parameters from <see cref=\"ModelOptions.Seed\"/>. MaxBatch bounds the labelled and the unlabelled batch each.</summary>");
        w.Open($"public {spec.ClassName}(ModelOptions options)");
        ModelEmitter.ConstructorStart(w, layout);
        w.Line("_noise = new Rng(options.Seed, stream: 1);");
        w.Line("_evalNoise = new Rng(options.Seed, stream: 2);");
        w.Line("_encoderPart = new ParameterPart(\"encoder\", _parameters.Memory.Slice(0, DecoderOffset), _gradients.Memory.Slice(0, DecoderOffset), _pool);");
        w.Line("_decoderPart = new ParameterPart(\"decoder\", _parameters.Memory.Slice(DecoderOffset, ClassifierOffset - DecoderOffset), _gradients.Memory.Slice(DecoderOffset, ClassifierOffset - DecoderOffset), _pool);");
        w.Line("_classifierPart = new ParameterPart(\"classifier\", _parameters.Memory.Slice(ClassifierOffset), _gradients.Memory.Slice(ClassifierOffset), _pool);");
        w.Line($"_rowClass = new int[{plan.Replicas} * _maxBatch];");
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
        w.Line("public int LatentSize => LatentCount;");
        w.Line("int ISemiSupervisedModel.ClassCount => ClassCount;");
        w.Line("public int ParameterCount => TotalParameters;");
        ModelEmitter.ArenaMembers(w, layout, "The gradients of the last backward pass, same layout as <see cref=\"Parameters\"/>.");
        if (plan.UsesTrainingFlag)
        {
            w.Line("/// <summary>False (the default): evaluation calls normalise with the batch norms' running statistics (torch's eval()); true: with the batch's own. Training steps always use batch statistics.</summary>");
            w.Line("public bool Training { get; set; }");
        }
        w.Line("/// <summary>");
        w.Line("/// α, the weight of the labelled rows' classification term α·(−ln q(y|x)) against their −ELBO (both means over the");
        w.Line("/// labelled batch). Starts at the declaration's Alpha; the paper's α = 0.1·N corresponds to 0.1·N/N_labelled here.");
        w.Line("/// </summary>");
        w.Line("public float Alpha { get; set; } = DeclaredAlpha;");
        w.Line("/// <summary>");
        w.Line("/// σ of the Gaussian noise added to the classifier's input in training passes (Backward, TrainStep, TrainClassifier):");
        w.Line("/// q(y|x) is trained on x + σ·n, n ~ N(0, I) drawn from the training noise (so a resumed run replays it); the encoder");
        w.Line("/// and decoder see x. 0: none, and no draws. Classify and Predict never add noise. Starts at the declaration's ClassifierNoise.");
        w.Line("/// </summary>");
        w.Open("public float ClassifierNoise");
        w.Line("get => _classifierNoise;");
        w.Line("set => _classifierNoise = value >= 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(ClassifierNoise), value, \"ClassifierNoise is a standard deviation: a finite number ≥ 0 (0: no noise).\");");
        w.Close();
        w.Line("private float _classifierNoise = DeclaredClassifierNoise;");
        w.Line("/// <summary>The encoder's parameters.</summary>");
        w.Line("public IParameterized EncoderPart => _encoderPart;");
        w.Line("/// <summary>The decoder's parameters.</summary>");
        w.Line("public IParameterized DecoderPart => _decoderPart;");
        w.Line("/// <summary>The classifier's parameters (train them alone with <see cref=\"TrainClassifier\"/> and an optimizer over this part).</summary>");
        w.Line("public IParameterized ClassifierPart => _classifierPart;");
        w.Line("/// <summary>Position of the training-noise generator; saved in checkpoints so that a resumed run continues bit-identically.</summary>");
        w.Line("public ulong NoisePosition { get => _noise.Position; set => _noise.Position = value; }");
        w.Line("/// <summary>The position of the evaluation stream (Elbo's ε; ModelOptions.Seed, stream 2): set it back to replay an evaluation's draws.</summary>");
        w.Line("public ulong EvaluationNoisePosition { get => _evalNoise.Position; set => _evalNoise.Position = value; }");
        w.Line("global::System.Collections.Generic.IReadOnlyList<TensorInfo> IGenerativeModel.Tensors => Tensors;");
        w.Line("string IGenerativeModel.DeclarationHash => DeclarationHash;");
        w.Line();

        // ---------------------------------------------------------------- init
        w.Line("/// <summary>Initialises every layer as torch.nn does (dense and convolution weights and biases ~ U(±1/√fan_in), batch norms at γ = 1, β = 0): encoder, decoder, classifier, in that order.</summary>");
        w.Open("public void ResetParameters(ulong seed)");
        ModelEmitter.Guard(w, spec.ClassName);
        w.Line("var rng = new Rng(seed, stream: 0);");
        w.Line("var p = _parameters.Span;");
        w.Line("p.Clear();");
        NetworkEmitter.EmitInit(w, plan.Encoder);
        NetworkEmitter.EmitInit(w, plan.Decoder);
        NetworkEmitter.EmitInit(w, plan.Classifier);
        w.Close();
        w.Line();

        ModelEmitter.Accessors(w);
        ModelEmitter.Checks(w, spec.ClassName, 0);
        EmitChecks(w, plan);
        foreach (var (net, gIn) in new[] { (plan.Encoder, (string?)null), (plan.Decoder, "_gDecIn"), (plan.Classifier, (string?)null) })
            EmitNetwork(w, net, gIn);
        EmitPieces(w, plan);
        EmitTraining(w, plan);
        EmitInference(w, plan);
        ModelEmitter.SaveLoad(w, spec.FullName, spec.ClassName);
        w.Close();
        PyTorchExportEmitter.EmitSemiSupervised(w, plan);
        OnnxExportEmitter.SemiSupervised(w, plan);
        return w.ToString();
    }

    private static void EmitChecks(SourceWriter w, SemiSupervisedPlan plan)
    {
        w.Open("private static void CheckLabels(ReadOnlySpan<int> labels, int rows, string name)");
        w.Line("if (labels.Length != rows)");
        w.Line("    throw new ArgumentException($\"{name} has {labels.Length} labels but the batch has {rows} rows: pass one class index per row.\", name);");
        w.Line("for (int r = 0; r < rows; r++)");
        w.Line("    if ((uint)labels[r] >= ClassCount)");
        w.Line($"        throw new ArgumentException($\"{{name}}[{{r}}] is {{labels[r]}}: classes are 0…{plan.K - 1}.\", name);");
        w.Close();
        w.Line();
        w.Line("/// <summary>Rows of a batch that may be empty (0 rows: none of that kind in this step).</summary>");
        w.Open("private int CheckRows(ReadOnlySpan2D<float> x, string name)");
        w.Line("if (x.Height == 0) return 0;");
        w.Line("int rows = CheckBatch(x, name, FeatureCount);");
        w.Line("CheckFinite(x, name);");
        w.Line("return rows;");
        w.Close();
        w.Line();
    }

    private static void EmitNetwork(SourceWriter w, NetworkPlan net, string? gInput)
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
        w.Line($"/// <summary>Backward through the {net.Name}, last layer first: its parameters' gradients (overwritten){(gInput is null ? "" : ", and ∂L/∂input in " + gInput)}.</summary>");
        w.Open($"private void {title}Backward(int rows)");
        NetworkEmitter.EmitBackward(w, net, net.OutputField == "_encHead" ? "_gEncHead" : net.OutputField == "_decHead" ? "_gDecHead" : "_gClsHead", "_gh0", "_gh1", gInput, parameterGradients: true);
        w.Close();
        w.Line();
    }

    private static void Pass(SourceWriter w, SemiSupervisedPlan plan, bool training)
    {
        if (plan.UsesTrainingFlag)
            w.Line(training ? "_trainingPass = true; // batch statistics, running ones updated" : "_trainingPass = Training; // running statistics unless Training");
    }

    /// <summary>The private pieces the public methods are made of.</summary>
    private static void EmitPieces(SourceWriter w, SemiSupervisedPlan plan)
    {
        int D = plan.D, Z = plan.Z, K = plan.K;
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line("// M2 (Kingma et al. 2014). Per encoder row (x, y), with z = μ + σ ⊙ ε from q(z|x,y):");
        w.Line("//   L(x, y) = −ELBO(x, y) = rec + KL + ln K,  rec = Σ_j softplus(l_j) − x_j·l_j,  KL = ½ Σ_j (μ_j² + σ_j² − ln σ_j² − 1)");
        w.Line("// Labelled rows:   L(x, y) + α·(−ln q(y|x))");
        w.Line("// Unlabelled rows: U(x) = Σ_y q(y|x)·L(x, y) − H(q(y|x)) = Σ_y q(y|x)·(L(x, y) + ln q(y|x))");
        w.Line("// loss = mean over labelled rows + mean over unlabelled rows; ∂U/∂a_k = q_k·((L_k + ln q_k) − U) for the logits a.");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();

        w.Line("/// <summary>Encoder input row <paramref name=\"row\"/> = [x, onehot(label)]; remembers the row's class.</summary>");
        w.Open("private void SetEncoderRow(int row, ReadOnlySpan<float> x, int label)");
        w.Line("var ir = _activations.Span.Slice(_encIn + row * EncoderInput, EncoderInput);");
        w.Line("x.CopyTo(ir);");
        w.Line($"ir.Slice({D}).Clear();");
        if (plan.ConditionAsChannels)
        {
            int hw = plan.Spec.Height * plan.Spec.Width;
            w.Line($"ir.Slice({D} + label * {hw}, {hw}).Fill(1f); // y_k fills channel {plan.Spec.Channels}+k");
        }
        else
            w.Line($"ir[{D} + label] = 1f;");
        w.Line("_rowClass[row] = label;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Decoder input row <paramref name=\"row\"/>: its z is already written; [z, onehot(class of the row)].</summary>");
        w.Open("private void SetDecoderClass(int row, int label)");
        w.Line($"var zr = _activations.Span.Slice(_decIn + row * {Z + K}, {Z + K});");
        w.Line($"zr.Slice({Z}).Clear();");
        w.Line($"zr[{Z} + label] = 1f;");
        w.Close();
        w.Line();

        w.Line("/// <summary>z = μ + σ ⊙ ε with ε from <paramref name=\"eps\"/> (z = μ when null) → decoder input [z, onehot(y)] for the first rows.</summary>");
        w.Open("private void SampleLatent(int rows, Rng? eps)");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Line($"var e = Act(_eps, rows, {Z});");
        w.Line($"if (eps is null) e.Clear(); else eps.FillNormal(_activations.Span.Slice(_eps, rows * {Z}));");
        w.Line($"var decIn = Act(_decIn, rows, {Z + K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var hr = head.GetRowSpan(r);");
        w.Line("var er = e.GetRowSpan(r);");
        w.Line("var zr = decIn.GetRowSpan(r);");
        w.Line($"for (int j = 0; j < {Z}; j++) zr[j] = hr[j] + MathF.Exp(0.5f * hr[{Z} + j]) * er[j]; // z = μ + σ ⊙ ε");
        w.Line("SetDecoderClass(r, _rowClass[r]);");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>Classifier on the first rows of its input → ln q(y|x) (a stable log-softmax of its logits) in _logProbs.</summary>");
        w.Open("private void ClassifyPass(int rows)");
        w.Line("ClassifierForward(rows);");
        w.Line($"var a = Act(_clsHead, rows, {K});");
        w.Line($"var lp = Act(_logProbs, rows, {K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var ar = a.GetRowSpan(r);");
        w.Line("var lr = lp.GetRowSpan(r);");
        w.Line("float max = ar[0];");
        w.Line($"for (int k = 1; k < {K}; k++) max = MathF.Max(max, ar[k]);");
        w.Line("double sum = 0;");
        w.Line($"for (int k = 0; k < {K}; k++) sum += MathF.Exp(ar[k] - max);");
        w.Line("float lse = max + (float)Math.Log(sum);");
        w.Line($"for (int k = 0; k < {K}; k++) lr[k] = ar[k] - lse;");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// L(x, y) = rec + KL + ln K per encoder row into _rowLoss; with <paramref name=\"gradient\"/>, also ∂/∂(decoder logits)");
        w.Line("/// = weight_r·(σ(l) − x) with the row's weight in _rowWeight. x is the first columns of the row's encoder input.");
        w.Line("/// </summary>");
        w.Open("private void RowLosses(int rows, bool gradient)");
        w.Line($"var o = Act(_decHead, rows, {D});");
        w.Line($"var go = Act(_gDecHead, rows, {D});");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Line("var weight = _activations.Span.Slice(_rowWeight, rows);");
        w.Line("var loss = _activations.Span.Slice(_rowLoss, rows);");
        w.Line($"var terms = _activations.Span.Slice(_terms, {D});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line($"var xr = _activations.Span.Slice(_encIn + r * EncoderInput, {D});");
        w.Line("// Σ softplus(l) − x·l, and ∂/∂l = (σ(l) − x)·weight, vectorised");
        w.Line("float rec = ModelKernels.BernoulliLogits(o.GetRowSpan(r), xr, gradient ? go.GetRowSpan(r) : Span<float>.Empty, weight[r], terms);");
        w.Line("var hr = head.GetRowSpan(r);");
        w.Line("double kl = 0;");
        w.Open($"for (int j = 0; j < {Z}; j++)");
        w.Line($"float mu = hr[j], lv = hr[{Z} + j];");
        w.Line("kl += 0.5 * (mu * mu + MathF.Exp(lv) - lv - 1f);");
        w.Close();
        w.Line("loss[r] = rec + (float)kl + LogClasses;");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Copies rows of <paramref name=\"x\"/> into the classifier's input from row <paramref name=\"start\"/>; with");
        w.Line("/// <paramref name=\"noisy\"/> and ClassifierNoise σ > 0 (training passes), x + σ·n with n ~ N(0, I) from the training noise.");
        w.Line("/// </summary>");
        w.Open("private void SetClassifierRows(ReadOnlySpan2D<float> x, int start, bool noisy)");
        w.Line($"var ci = Act(_clsIn, start + x.Height, {D});");
        w.Line("float sigma = noisy ? _classifierNoise : 0f;");
        w.Open("for (int r = 0; r < x.Height; r++)");
        w.Line("var row = ci.GetRowSpan(start + r);");
        w.Line("if (sigma == 0f) { x.GetRowSpan(r).CopyTo(row); continue; }");
        w.Line("_noise.FillNormal(row, 0f, sigma); // σ·n");
        w.Line("global::System.Numerics.Tensors.TensorPrimitives.Add(row, x.GetRowSpan(r), row); // x + σ·n");
        w.Close();
        w.Close();
        w.Line();
    }

    private static void EmitTraining(SourceWriter w, SemiSupervisedPlan plan)
    {
        int D = plan.D, Z = plan.Z, K = plan.K;
        string cls = plan.Spec.ClassName;
        w.Line("/// <summary>");
        w.Line("/// Forward and backward on a labelled batch (with its labels, class indices 0…K−1) and an unlabelled batch (either may");
        w.Line("/// have 0 rows, not both): fills <see cref=\"Gradients\"/> (overwriting them) and returns the loss");
        w.Line("/// mean_labelled(L(x, y) + α·(−ln q(y|x))) + mean_unlabelled(U(x)) and its terms. One ε per encoder row from the model's noise.");
        w.Line("/// </summary>");
        w.Open("public SemiSupervisedLoss Backward(ReadOnlySpan2D<float> labelled, ReadOnlySpan<int> labels, ReadOnlySpan2D<float> unlabelled)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: true);
        w.Line("int nl = CheckRows(labelled, nameof(labelled));");
        w.Line("int nu = CheckRows(unlabelled, nameof(unlabelled));");
        w.Line("if (nl + nu == 0) throw new ArgumentException(\"Both batches are empty: pass labelled or unlabelled rows (or both).\", nameof(labelled));");
        w.Line("CheckLabels(labels, nl, nameof(labels));");
        w.Line("int n = nl + nu, rows = nl + ClassCount * nu;");
        w.Line("// q(y|x) for every row, labelled then unlabelled");
        w.Line("if (nl > 0) SetClassifierRows(labelled, 0, noisy: true);");
        w.Line("if (nu > 0) SetClassifierRows(unlabelled, nl, noisy: true);");
        w.Line("ClassifyPass(n);");
        w.Line("// encoder rows: (x, y) for each labelled row; (x, 0) … (x, K−1) for each unlabelled row");
        w.Line("for (int r = 0; r < nl; r++) SetEncoderRow(r, labelled.GetRowSpan(r), labels[r]);");
        w.Line("for (int u = 0; u < nu; u++)");
        w.Line("    for (int y = 0; y < ClassCount; y++) SetEncoderRow(nl + u * ClassCount + y, unlabelled.GetRowSpan(u), y);");
        w.Line("EncoderForward(rows);");
        w.Line("SampleLatent(rows, _noise);");
        w.Line("DecoderForward(rows);");
        w.Line("// each encoder row's weight in the loss: 1/L for a labelled row, q(y|x)/U for the row (x, y) of an unlabelled x");
        w.Line($"var lp = Act(_logProbs, n, {K});");
        w.Line("var weight = _activations.Span.Slice(_rowWeight, rows);");
        w.Line("float invL = nl > 0 ? 1f / nl : 0f, invU = nu > 0 ? 1f / nu : 0f;");
        w.Line("weight.Slice(0, nl).Fill(invL);");
        w.Line("for (int u = 0; u < nu; u++)");
        w.Line("    for (int y = 0; y < ClassCount; y++) weight[nl + u * ClassCount + y] = MathF.Exp(lp[nl + u, y]) * invU;");
        w.Line("RowLosses(rows, gradient: true);");
        w.Line("var loss = _activations.Span.Slice(_rowLoss, rows);");
        w.Line($"var g = Act(_gClsHead, n, {K});");
        w.Line("float alpha = Alpha;");
        w.Line("double labelledSum = 0, classificationSum = 0, unlabelledSum = 0;");
        w.Open("for (int r = 0; r < nl; r++)");
        w.Line("var lr = lp.GetRowSpan(r);");
        w.Line("var gr = g.GetRowSpan(r);");
        w.Line("int y = labels[r];");
        w.Line("labelledSum += loss[r];");
        w.Line("classificationSum -= lr[y];");
        w.Line("// ∂(α·(−ln q_y))/∂a_k = α·(q_k − [k = y]), over the labelled mean");
        w.Line("for (int k = 0; k < ClassCount; k++) gr[k] = alpha * invL * (MathF.Exp(lr[k]) - (k == y ? 1f : 0f));");
        w.Close();
        w.Open("for (int u = 0; u < nu; u++)");
        w.Line("var lr = lp.GetRowSpan(nl + u);");
        w.Line("var gr = g.GetRowSpan(nl + u);");
        w.Line("var lu = loss.Slice(nl + u * ClassCount, ClassCount);");
        w.Line("double bound = 0; // U(x) = Σ_y q_y·(L(x, y) + ln q_y)");
        w.Line("for (int k = 0; k < ClassCount; k++) bound += MathF.Exp(lr[k]) * (lu[k] + lr[k]);");
        w.Line("unlabelledSum += bound;");
        w.Line("// ∂U/∂a_k = q_k·((L_k + ln q_k) − U)");
        w.Line("for (int k = 0; k < ClassCount; k++) gr[k] = invU * MathF.Exp(lr[k]) * (float)(lu[k] + lr[k] - bound);");
        w.Close();
        w.Line("// decoder, last layer first; ∂L/∂[z, y] lands in _gDecIn");
        w.Line("DecoderBackward(rows);");
        w.Line("// z = μ + σ ⊙ ε and the row's weighted KL: ∂L/∂μ = ∂L/∂z + w·μ ; ∂L/∂ln σ² = ½(∂L/∂z·ε·σ + w·(σ² − 1))");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Line($"var gHead = Act(_gEncHead, rows, {2 * Z});");
        w.Line($"var gz = Act(_gDecIn, rows, {Z + K});");
        w.Line($"var e = Act(_eps, rows, {Z});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var hr = head.GetRowSpan(r);");
        w.Line("var ghr = gHead.GetRowSpan(r);");
        w.Line("var gzr = gz.GetRowSpan(r);");
        w.Line("var er = e.GetRowSpan(r);");
        w.Line("float wr = weight[r];");
        w.Open($"for (int j = 0; j < {Z}; j++)");
        w.Line($"float mu = hr[j], sigma = MathF.Exp(0.5f * hr[{Z} + j]);");
        w.Line("ghr[j] = gzr[j] + wr * mu;");
        w.Line($"ghr[{Z} + j] = 0.5f * (gzr[j] * er[j] * sigma + wr * (sigma * sigma - 1f));");
        w.Close();
        w.Close();
        w.Line("// encoder, last layer first (no gradient for the data)");
        w.Line("EncoderBackward(rows);");
        w.Line("// classifier, last layer first");
        w.Line("ClassifierBackward(n);");
        w.Line("float labelledMean = (float)(labelledSum * invL), classification = (float)(classificationSum * invL), unlabelledMean = (float)(unlabelledSum * invU);");
        w.Line("return new SemiSupervisedLoss(labelledMean + alpha * classification + unlabelledMean, labelledMean, classification, unlabelledMean);");
        w.Close();
        w.Line();

        w.Line("/// <summary>One training step: <see cref=\"Backward\"/>, then <paramref name=\"optimizer\"/>.Step() (an optimizer over the whole model). Returns the loss before the step.</summary>");
        w.Open("public SemiSupervisedLoss TrainStep(ReadOnlySpan2D<float> labelled, ReadOnlySpan<int> labels, ReadOnlySpan2D<float> unlabelled, Optimizer optimizer)");
        ModelEmitter.Guard(w, cls);
        w.Line("ArgumentNullException.ThrowIfNull(optimizer);");
        w.Line("var loss = Backward(labelled, labels, unlabelled);");
        w.Line("optimizer.Step();");
        w.Line("return loss;");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// The classifier alone on labelled rows: mean −ln q(y|x), its gradient into the classifier's part of");
        w.Line("/// <see cref=\"Gradients\"/> (the other parts untouched), then <paramref name=\"optimizer\"/>.Step(): give it an optimizer");
        w.Line("/// over <see cref=\"ClassifierPart\"/>. The supervised baseline of the same network. Returns the loss before the step.");
        w.Line("/// </summary>");
        w.Open("public float TrainClassifier(ReadOnlySpan2D<float> labelled, ReadOnlySpan<int> labels, Optimizer optimizer)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: true);
        w.Line("ArgumentNullException.ThrowIfNull(optimizer);");
        w.Line("int rows = CheckBatch(labelled, nameof(labelled), FeatureCount);");
        w.Line("CheckFinite(labelled, nameof(labelled));");
        w.Line("CheckLabels(labels, rows, nameof(labels));");
        w.Line("SetClassifierRows(labelled, 0, noisy: true);");
        w.Line("ClassifyPass(rows);");
        w.Line($"var lp = Act(_logProbs, rows, {K});");
        w.Line($"var g = Act(_gClsHead, rows, {K});");
        w.Line("float inv = 1f / rows;");
        w.Line("double sum = 0;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("int y = labels[r];");
        w.Line("sum -= lp[r, y];");
        w.Line("for (int k = 0; k < ClassCount; k++) g[r, k] = inv * (MathF.Exp(lp[r, k]) - (k == y ? 1f : 0f));");
        w.Close();
        w.Line("ClassifierBackward(rows);");
        w.Line("optimizer.Step();");
        w.Line("return (float)(sum * inv);");
        w.Close();
        w.Line();
    }

    private static void EmitInference(SourceWriter w, SemiSupervisedPlan plan)
    {
        int D = plan.D, Z = plan.Z, K = plan.K;
        string cls = plan.Spec.ClassName;

        w.Line("/// <summary>The classifier's q(y|x): one row of K probabilities per row of <paramref name=\"x\"/>.</summary>");
        w.Open("public void Classify(ReadOnlySpan2D<float> x, Span2D<float> probabilities)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        w.Line("CheckOutput(probabilities, rows, ClassCount, nameof(probabilities));");
        w.Line("SetClassifierRows(x, 0, noisy: false);");
        w.Line("ClassifyPass(rows);");
        w.Line($"var lp = Act(_logProbs, rows, {K});");
        w.Line("for (int r = 0; r < rows; r++)");
        w.Line("    for (int k = 0; k < ClassCount; k++) probabilities[r, k] = MathF.Exp(lp[r, k]);");
        w.Close();
        w.Line();

        w.Line("/// <summary>The most probable class under q(y|x) for each row (the first on ties).</summary>");
        w.Open("public void Predict(ReadOnlySpan2D<float> x, Span<int> classes)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        w.Line("if (classes.Length != rows) throw new ArgumentException($\"classes has length {classes.Length} but must have one value per row ({rows}).\", nameof(classes));");
        w.Line("SetClassifierRows(x, 0, noisy: false);");
        w.Line("ClassifyPass(rows);");
        w.Line("ArgMax(rows, classes);");
        w.Close();
        w.Line();
        w.Open("private void ArgMax(int rows, Span<int> classes)");
        w.Line($"var lp = Act(_logProbs, rows, {K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var lr = lp.GetRowSpan(r);");
        w.Line("int best = 0;");
        w.Line("for (int k = 1; k < ClassCount; k++) if (lr[k] > lr[best]) best = k;");
        w.Line("classes[r] = best;");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>The encoder's q(z|x,y): mean μ and log-variance ln σ² per row, for the given classes.</summary>");
        w.Open("public void Encode(ReadOnlySpan2D<float> x, ReadOnlySpan<int> classes, Span2D<float> mu, Span2D<float> logVar)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        w.Line("CheckLabels(classes, rows, nameof(classes));");
        w.Line("CheckOutput(mu, rows, LatentCount, nameof(mu));");
        w.Line("CheckOutput(logVar, rows, LatentCount, nameof(logVar));");
        w.Line("for (int r = 0; r < rows; r++) SetEncoderRow(r, x.GetRowSpan(r), classes[r]);");
        w.Line("EncoderForward(rows);");
        w.Line($"var head = Act(_encHead, rows, {2 * Z});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line($"head.GetRowSpan(r).Slice(0, {Z}).CopyTo(mu.GetRowSpan(r));");
        w.Line($"head.GetRowSpan(r).Slice({Z}, {Z}).CopyTo(logVar.GetRowSpan(r));");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>The decoder's mean E[x|y,z] (Bernoulli probabilities σ(l)) for rows of z and their classes.</summary>");
        w.Open("public void Decode(ReadOnlySpan2D<float> z, ReadOnlySpan<int> classes, Span2D<float> x)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(z, nameof(z), LatentCount);");
        w.Line("CheckFinite(z, nameof(z));");
        w.Line("CheckLabels(classes, rows, nameof(classes));");
        w.Line("CheckOutput(x, rows, FeatureCount, nameof(x));");
        w.Line($"var decIn = Act(_decIn, rows, {Z + K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line($"z.GetRowSpan(r).CopyTo(decIn.GetRowSpan(r).Slice(0, {Z}));");
        w.Line("SetDecoderClass(r, classes[r]);");
        w.Close();
        w.Line("DecoderForward(rows);");
        w.Line("WriteMean(rows, x);");
        w.Close();
        w.Line();

        w.Open("private void WriteMean(int rows, Span2D<float> x)");
        w.Line($"var o = Act(_decHead, rows, {D});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var orow = o.GetRowSpan(r);");
        w.Line("var xr = x.GetRowSpan(r);");
        w.Line($"for (int j = 0; j < {D}; j++) xr[j] = 1f / (1f + MathF.Exp(-orow[j]));");
        w.Close();
        w.Close();
        w.Line();

        w.Line("/// <summary>Draws z ~ N(0, I) from <paramref name=\"rng\"/> and writes the decoder's mean for each row: a digit of the row's class in a random style.</summary>");
        w.Open("public void Sample(Span2D<float> x, ReadOnlySpan<int> classes, Rng rng)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("ArgumentNullException.ThrowIfNull(rng);");
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckLabels(classes, rows, nameof(classes));");
        w.Line($"var decIn = Act(_decIn, rows, {Z + K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line($"rng.FillNormal(decIn.GetRowSpan(r).Slice(0, {Z}));");
        w.Line("SetDecoderClass(r, classes[r]);");
        w.Close();
        w.Line("DecoderForward(rows);");
        w.Line("WriteMean(rows, x);");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Style transfer: each row of <paramref name=\"x\"/> is encoded with its most probable class ŷ = argmax q(y|x) into");
        w.Line("/// z ~ q(z|x, ŷ) (z = μ when <paramref name=\"rng\"/> is null), then decoded with the row's class from");
        w.Line("/// <paramref name=\"classes\"/>: x's style, the chosen class. Repeat a row K times with classes 0…K−1 for a row of the picture.");
        w.Line("/// </summary>");
        w.Open("public void Transfer(ReadOnlySpan2D<float> x, ReadOnlySpan<int> classes, Span2D<float> output, Rng? rng = null)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        w.Line("CheckLabels(classes, rows, nameof(classes));");
        w.Line("CheckOutput(output, rows, FeatureCount, nameof(output));");
        w.Line("SetClassifierRows(x, 0, noisy: false);");
        w.Line("ClassifyPass(rows);");
        w.Line($"var lp = Act(_logProbs, rows, {K});");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var lr = lp.GetRowSpan(r);");
        w.Line("int best = 0;");
        w.Line("for (int k = 1; k < ClassCount; k++) if (lr[k] > lr[best]) best = k;");
        w.Line("SetEncoderRow(r, x.GetRowSpan(r), best);");
        w.Close();
        w.Line("EncoderForward(rows);");
        w.Line("SampleLatent(rows, rng);");
        w.Line("for (int r = 0; r < rows; r++) SetDecoderClass(r, classes[r]);");
        w.Line("DecoderForward(rows);");
        w.Line("WriteMean(rows, output);");
        w.Close();
        w.Line();

        w.Line("/// <summary>ELBO(x, y) = −L(x, y) per row for the given labels (one sample of z from the evaluation stream, ModelOptions.Seed stream 2; includes ln p(y) = −ln K).</summary>");
        w.Open("public void Elbo(ReadOnlySpan2D<float> x, ReadOnlySpan<int> labels, Span<float> perRow)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        w.Line("CheckLabels(labels, rows, nameof(labels));");
        w.Line("CheckVector(perRow, rows, nameof(perRow));");
        w.Line("for (int r = 0; r < rows; r++) SetEncoderRow(r, x.GetRowSpan(r), labels[r]);");
        w.Line("EncoderForward(rows);");
        w.Line("SampleLatent(rows, _evalNoise);");
        w.Line("DecoderForward(rows);");
        w.Line("RowLosses(rows, gradient: false);");
        w.Line("var loss = _activations.Span.Slice(_rowLoss, rows);");
        w.Line("for (int r = 0; r < rows; r++) perRow[r] = -loss[r];");
        w.Close();
        w.Line();

        w.Line("/// <summary>The unlabelled bound −U(x) = Σ_y q(y|x)·ELBO(x, y) + H(q(y|x)) ≤ ln p(x) per row (one sample of z per class).</summary>");
        w.Open("public void Elbo(ReadOnlySpan2D<float> x, Span<float> perRow)");
        ModelEmitter.Guard(w, cls);
        Pass(w, plan, training: false);
        w.Line("int rows = CheckBatch(x, nameof(x), FeatureCount);");
        w.Line("CheckFinite(x, nameof(x));");
        w.Line("CheckVector(perRow, rows, nameof(perRow));");
        w.Line("SetClassifierRows(x, 0, noisy: false);");
        w.Line("ClassifyPass(rows);");
        w.Line("for (int u = 0; u < rows; u++)");
        w.Line("    for (int y = 0; y < ClassCount; y++) SetEncoderRow(u * ClassCount + y, x.GetRowSpan(u), y);");
        w.Line("int all = ClassCount * rows;");
        w.Line("EncoderForward(all);");
        w.Line("SampleLatent(all, _evalNoise);");
        w.Line("DecoderForward(all);");
        w.Line("RowLosses(all, gradient: false);");
        w.Line("var loss = _activations.Span.Slice(_rowLoss, all);");
        w.Line($"var lp = Act(_logProbs, rows, {K});");
        w.Open("for (int u = 0; u < rows; u++)");
        w.Line("double bound = 0;");
        w.Line("for (int k = 0; k < ClassCount; k++) bound += MathF.Exp(lp[u, k]) * (loss[u * ClassCount + k] + lp[u, k]);");
        w.Line("perRow[u] = (float)-bound;");
        w.Close();
        w.Close();
        w.Line();
    }
}
