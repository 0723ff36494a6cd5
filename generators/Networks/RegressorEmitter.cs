using System.Linq;
using GenDsl.Generators.Common;
using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>
/// Writes the C# of a [Regressor]: its network's forward pass (catalogue ops through <see cref="NetworkEmitter"/>), the
/// mean squared error with its gradient in one pass over the rows, the backward pass last layer first, and the public
/// API (TrainStep, Backward, Predict, MeanSquaredError), then the PyTorch and ONNX exports. The shared pieces (arenas,
/// checks, checkpoints, the thread guard) come from <see cref="ModelEmitter"/>.
/// </summary>
internal static class RegressorEmitter
{
    public static string Emit(RegressorPlan plan)
    {
        var w = new SourceWriter();
        var spec = plan.Spec;
        var layout = plan.Layout;
        int D = plan.D, K = plan.K;
        ModelEmitter.Header(w, "Regressor", spec.FullName, spec.Namespace);

        string input = spec.ConditionImage.IsSet ? $"an image y [{spec.ConditionImage.Channels}, {spec.ConditionImage.Height}, {spec.ConditionImage.Width}] read flat" : $"y of {K}";
        w.Line($"/// <summary>Regressor x̂ = f(y) trained by the mean squared error: {D} features from {input}; {plan.ParameterCount} parameters.</summary>");
        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"GenDsl.Generators\", \"1.0.0\")]");
        w.Open($"partial class {spec.ClassName} : IRegressorModel");

        // ---------------------------------------------------------------- constants
        w.Line(spec.HasImageShape ? $"/// <summary>Columns of a target row x: a {spec.Channels}×{spec.Height}×{spec.Width} image, channel-major.</summary>" : "/// <summary>Columns of a target row x.</summary>");
        w.Line($"public const int FeatureCount = {D};");
        if (spec.HasImageShape)
        {
            w.Line("/// <summary>The data's image shape: channels, height, width.</summary>");
            w.Line($"public const int Channels = {spec.Channels}, Height = {spec.Height}, Width = {spec.Width};");
        }
        w.Line("/// <summary>Columns of the input Y.</summary>");
        w.Line($"public const int ConditionCount = {K};");
        if (spec.ConditionImage.IsSet)
        {
            w.Line("/// <summary>The input's image shape: channels, height, width (a row of y holds it channel-major).</summary>");
            w.Line($"public const int ConditionChannels = {spec.ConditionImage.Channels}, ConditionHeight = {spec.ConditionImage.Height}, ConditionWidth = {spec.ConditionImage.Width};");
        }
        w.Line("/// <summary>Learned parameters (without the arena's alignment padding).</summary>");
        w.Line($"public const int TotalParameters = {plan.ParameterCount};");
        w.Line("/// <summary>Hash of the declaration, stored in checkpoints to refuse loading into another architecture.</summary>");
        w.Line($"public const string DeclarationHash = \"{plan.DeclarationHash}\";");
        w.Line();
        ModelEmitter.ArenaConstants(w, layout, "// ---- Parameter arena: offsets in floats (64-byte aligned); gradients use the same layout.");
        ModelEmitter.TensorTable(w, layout);
        int declared = w.Length;
        NetworkEmitter.EmitDeclarations(w, plan.Net);
        if (w.Length != declared)
            w.Line();

        // ---------------------------------------------------------------- state
        ModelEmitter.StateFields(w, layout);
        if (plan.UsesTrainingFlag)
            w.Line("private bool _trainingPass; // this pass uses batch statistics (and updates the running ones)");
        w.Line();
        w.Line("// ---- Activation arena, sized for MaxBatch rows.");
        ModelEmitter.ActivationFieldDeclarations(w, layout);
        foreach (var (member, type, _) in plan.LayerViews)
            w.Line($"private readonly global::GenDsl.{type} _{member}Layer;");
        w.Line();

        // ---------------------------------------------------------------- constructor
        w.Line("/// <summary>Allocates the parameter, gradient and activation arenas once and initialises the parameters from <see cref=\"ModelOptions.Seed\"/>.</summary>");
        w.Open($"public {spec.ClassName}(ModelOptions options)");
        ModelEmitter.ConstructorStart(w, layout);
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
        w.Line("public int ParameterCount => TotalParameters;");
        ModelEmitter.ArenaMembers(w, layout, "The gradients of the last backward pass, same layout as <see cref=\"Parameters\"/>.");
        if (plan.UsesTrainingFlag)
        {
            w.Line("/// <summary>False (the default): Predict and MeanSquaredError normalise with the batch norms' running statistics (torch's eval()); true: with the batch's own. Training steps always use batch statistics.</summary>");
            w.Line("public bool Training { get; set; }");
        }
        w.Line("global::System.Collections.Generic.IReadOnlyList<TensorInfo> IGenerativeModel.Tensors => Tensors;");
        w.Line("string IGenerativeModel.DeclarationHash => DeclarationHash;");
        w.Line();

        // ---------------------------------------------------------------- init
        w.Line("/// <summary>Initialises every layer as torch.nn does: dense and convolution weights and biases ~ U(±1/√fan_in), batch norms at γ = 1, β = 0 with running mean 0 and variance 1.</summary>");
        w.Open("public void ResetParameters(ulong seed)");
        ModelEmitter.Guard(w, spec.ClassName);
        w.Line("var rng = new Rng(seed, stream: 0);");
        w.Line("var p = _parameters.Span;");
        w.Line("p.Clear();");
        NetworkEmitter.EmitInit(w, plan.Net);
        w.Close();
        w.Line();

        ModelEmitter.Accessors(w);
        ModelEmitter.Checks(w, spec.ClassName, K);

        // ---------------------------------------------------------------- network
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// Predictor: {NetworkEmitter.Widths(plan.Net)}");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Line("/// <summary>x̂ = f(y) on the first <paramref name=\"rows\"/> rows of <paramref name=\"input\"/> (y): _regIn → … → _pred.</summary>");
        w.Open("private void PredictorForward(ReadOnlySpan2D<float> input, int rows)");
        w.Line($"input.CopyTo(Act(_regIn, rows, {K}));");
        NetworkEmitter.EmitForward(w, plan.Net, training: "_trainingPass");
        w.Close();
        w.Line();

        // ---------------------------------------------------------------- loss
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line($"// Loss: L = 1/(rows·{D}) · Σ_r Σ_j (x̂_rj − x_rj)², the mean squared error (torch's F.mse_loss).");
        w.Line($"// Its gradient: ∂L/∂x̂_rj = 2·(x̂_rj − x_rj)/(rows·{D}).");
        w.Line("// -------------------------------------------------------------------------------------");
        w.Line();
        w.Line("/// <summary>The mean squared error of _pred against <paramref name=\"x\"/>; with <paramref name=\"gradient\"/>, ∂L/∂x̂ into _gPred.</summary>");
        w.Open("private double Loss(ReadOnlySpan2D<float> x, int rows, bool gradient)");
        w.Line($"var pred = Act(_pred, rows, {D});");
        w.Line($"var g = Act(_gPred, rows, {D});");
        w.Line($"float scale = 2f / ((float)rows * {D});");
        w.Line("double total = 0;");
        w.Open("for (int r = 0; r < rows; r++)");
        w.Line("var p = pred.GetRowSpan(r);");
        w.Line("var t = x.GetRowSpan(r);");
        w.Line("var gr = g.GetRowSpan(r);");
        w.Line("float row = 0f;");
        w.Open($"for (int j = 0; j < {D}; j++)");
        w.Line("float e = p[j] - t[j];");
        w.Line("row += e * e;");
        w.Line("if (gradient) gr[j] = scale * e;");
        w.Close();
        w.Line("total += row;");
        w.Close();
        w.Line($"return total / ((double)rows * {D});");
        w.Close();
        w.Line();

        // ---------------------------------------------------------------- API
        w.Line("/// <summary>Forward and backward on one batch: the gradients of the mean squared error in <see cref=\"Gradients\"/>; returns the error. Uses batch statistics.</summary>");
        w.Open("public float Backward(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y)");
        ModelEmitter.Guard(w, spec.ClassName);
        w.Line("return BackwardCore(x, y);");
        w.Close();
        w.Line();
        w.Line("/// <summary>Backward's body (target x, input y; named so that the ops' locals do not clash).</summary>");
        w.Open("private float BackwardCore(ReadOnlySpan2D<float> target, ReadOnlySpan2D<float> input)");
        if (plan.UsesTrainingFlag)
            w.Line("_trainingPass = true; // batch statistics, running ones updated");
        w.Line("int rows = CheckBatch(target, \"x\", FeatureCount);");
        w.Line("CheckFinite(target, \"x\");");
        w.Line("CheckCondition(input, rows);");
        w.Line("PredictorForward(input, rows);");
        w.Line("float loss = (float)Loss(target, rows, gradient: true);");
        w.Line("// the predictor, last layer first (∂L/∂y is not needed)");
        NetworkEmitter.EmitBackward(w, plan.Net, "_gPred", "_gh0", "_gh1", null, parameterGradients: true);
        w.Line("return loss;");
        w.Close();
        w.Line();

        w.Line("/// <summary>One optimizer step on the mean squared error of the batch (mean over rows and columns); returns that error before the step.</summary>");
        w.Open("public float TrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Optimizer optimizer)");
        ModelEmitter.Guard(w, spec.ClassName);
        w.Line("ArgumentNullException.ThrowIfNull(optimizer);");
        w.Line("float loss = BackwardCore(x, y);");
        w.Line("optimizer.Step();");
        w.Line("return loss;");
        w.Close();
        w.Line();

        w.Line("/// <summary>x̂ = f(y) for each row of <paramref name=\"y\"/>: the regressor's estimate of E[x | y].</summary>");
        w.Open("public void Predict(ReadOnlySpan2D<float> y, Span2D<float> x)");
        ModelEmitter.Guard(w, spec.ClassName);
        if (plan.UsesTrainingFlag)
            w.Line("_trainingPass = Training; // running statistics unless Training");
        w.Line("int rows = CheckBatch(y, nameof(y), ConditionCount);");
        w.Line("CheckFinite(y, nameof(y));");
        w.Line("CheckOutput(x, rows, FeatureCount, nameof(x));");
        w.Line("PredictorForward(y, rows);");
        w.Line($"Act(_pred, rows, {D}).CopyTo(x);");
        w.Close();
        w.Line();

        w.Line("/// <summary>The mean over rows and columns of (f(y) − x)², without training (any number of rows, MaxBatch at a time).</summary>");
        w.Open("public double MeanSquaredError(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y)");
        ModelEmitter.Guard(w, spec.ClassName);
        if (plan.UsesTrainingFlag)
            w.Line("_trainingPass = Training; // running statistics unless Training");
        w.Line("if (x.Height == 0) throw new ArgumentException(\"x has no rows: pass at least one example.\", nameof(x));");
        w.Line($"if (x.Width != FeatureCount) throw new ArgumentException($\"x has {{x.Width}} columns but {spec.ClassName} expects {{FeatureCount}}: pass rows of {{FeatureCount}} values.\", nameof(x));");
        w.Line("if (y.Height != x.Height || y.Width != ConditionCount)");
        w.Line($"    throw new ArgumentException($\"y is {{y.Height}}×{{y.Width}} but must be {{x.Height}}×{K} (one input row per target row).\", nameof(y));");
        w.Line("double total = 0;");
        w.Open("for (int start = 0; start < x.Height; start += _maxBatch)");
        w.Line("int rows = Math.Min(_maxBatch, x.Height - start);");
        w.Line("var xs = x.Slice(start, 0, rows, FeatureCount);");
        w.Line("var ys = y.Slice(start, 0, rows, ConditionCount);");
        w.Line("CheckFinite(xs, nameof(x));");
        w.Line("CheckFinite(ys, nameof(y));");
        w.Line("PredictorForward(ys, rows);");
        w.Line("total += Loss(xs, rows, gradient: false) * rows;");
        w.Close();
        w.Line("return total / x.Height;");
        w.Close();
        w.Line();

        ModelEmitter.SaveLoad(w, spec.FullName, spec.ClassName);
        w.Close();
        PyTorchExportEmitter.EmitRegressor(w, plan);
        OnnxExportEmitter.Regressor(w, plan);
        return w.ToString();
    }
}
