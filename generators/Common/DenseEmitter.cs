using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Common;

/// <summary>
/// Emits the forward and backward passes of fully connected layers y = act(x · Wᵀ + b) (W stored
/// [out, in], as torch.nn.Linear): a GEMM with a fused bias + activation epilogue, or for tiny input
/// widths one CouplingKernels.DenseSmallInput call; backward as activation-derivative + bias-gradient (one fused pass),
/// then ∂L/∂W = ∂L/∂yᵀ·x and ∂L/∂x = ∂L/∂y·W.
/// </summary>
internal static class DenseEmitter
{
    /// <summary>Input widths up to this use CouplingKernels.DenseSmallInput instead of a GEMM call (keep ≤ CouplingKernels.MaxSmallInput).</summary>
    public const int UnrollInputWidth = 4;

    public static readonly string[] ActivationNames = { "Identity", "Relu", "LeakyRelu", "Tanh", "Sigmoid", "Softplus" };

    /// <summary>"h2 = relu(h1 · W1ᵀ + b1)".</summary>
    public static string Describe(DensePlan dense, string input, string output)
    {
        string inner = $"{input} · W{dense.Index}ᵀ + b{dense.Index}";
        return dense.Activation == 0 ? $"{output} = {inner}" : $"{output} = {ActivationNames[dense.Activation].ToLowerInvariant()}({inner})";
    }

    public static void EmitForward(SourceWriter w, DensePlan dense, string description, string rows = "rows")
    {
        string act = ActivationNames[dense.Activation];
        w.Line($"// {description}   [{rows}, {dense.In}] → [{rows}, {dense.Out}]");
        if (dense.In <= UnrollInputWidth)
        {
            string slope = dense.Activation == 2 ? ", 0.2f" : "";
            w.Line($"// input width {dense.In}: y_j = act(b_j + Σ_k W_jk·x_k) vectorised across the {dense.Out} outputs instead of a GEMM");
            w.Line($"CouplingKernels.DenseSmallInput(Act({dense.InputField}, {rows}, {dense.In}), _parameters.Span.Slice({dense.WeightConst}, {dense.Out * dense.In}), _parameters.Span.Slice({dense.BiasConst}, {dense.Out}), Activation.{act}, Act({dense.OutputField}, {rows}, {dense.Out}){slope});");
        }
        else
        {
            string bias = $"_parameters.Span.Slice({dense.BiasConst}, {dense.Out})";
            string epilogue = dense.Activation switch
            {
                0 => $"new Epilogue({bias})",
                2 => $"new Epilogue({bias}, Activation.{act}, 0.2f)",
                _ => $"new Epilogue({bias}, Activation.{act})",
            };
            w.Line($"Gemm.Multiply(Act({dense.InputField}, {rows}, {dense.In}), false, Param({dense.WeightConst}, {dense.Out}, {dense.In}), true, Act({dense.OutputField}, {rows}, {dense.Out}), {epilogue}, pool: _pool);");
        }
    }

    /// <summary>
    /// Backward through <paramref name="net"/>, last layer first. ∂L/∂(output of the last layer) is in
    /// <paramref name="gOutput"/>; hidden gradients ping-pong between <paramref name="gh0"/>/<paramref name="gh1"/>;
    /// ∂L/∂(input of the first layer) goes to <paramref name="gInput"/> (null: not needed).
    /// With <paramref name="parameterGradients"/> false only input gradients are computed (the
    /// parameters' gradients are left untouched).
    /// </summary>
    public static void EmitBackward(SourceWriter w, IReadOnlyList<DensePlan> net, string gOutput, string gh0, string gh1,
        string? gInput, bool parameterGradients, System.Func<DensePlan, string> describe, string rows = "rows")
    {
        for (int l = net.Count - 1; l >= 0; l--)
        {
            var dense = net[l];
            bool last = l == net.Count - 1;
            string gOutBuf = last ? gOutput : (dense.Index % 2 == 0 ? gh0 : gh1);
            string? gInBuf = l == 0 ? gInput : ((dense.Index + 1) % 2 == 0 ? gh0 : gh1);
            string act = ActivationNames[dense.Activation];
            w.Line($"// backward of: {describe(dense)}");
            w.Line("{");
            w.Indent();
            w.Line($"var gy = Act({gOutBuf}, {rows}, {dense.Out});");
            string slope = dense.Activation == 2 ? "0.2f" : "0f";
            if (parameterGradients)
            {
                w.Line($"var x = Act({dense.InputField}, {rows}, {dense.In});");
                if (dense.Activation == 0)
                    w.Line($"GemmBackward.ColumnSums(gy, _gradients.Span.Slice({dense.BiasConst}, {dense.Out}), accumulate: false, _pool); // ∂L/∂b = Σ_rows ∂L/∂y");
                else
                    w.Line($"GemmBackward.ActivationAndBias(gy, Act({dense.OutputField}, {rows}, {dense.Out}), Activation.{act}, {slope}, _gradients.Span.Slice({dense.BiasConst}, {dense.Out}), accumulate: false, _pool); // ∂L/∂(pre-activation) = ∂L/∂y ⊙ f′(y); ∂L/∂b = Σ_rows");
                w.Line($"Gemm.Multiply(gy, true, x, false, Grad({dense.WeightConst}, {dense.Out}, {dense.In}), pool: _pool); // ∂L/∂W = ∂L/∂yᵀ · x");
            }
            else if (dense.Activation != 0)
            {
                w.Line($"GemmBackward.ActivationAndBias(gy, Act({dense.OutputField}, {rows}, {dense.Out}), Activation.{act}, {slope}, Span<float>.Empty, accumulate: false, _pool); // ∂L/∂(pre-activation) = ∂L/∂y ⊙ f′(y)");
            }
            if (gInBuf is not null)
                w.Line($"Gemm.Multiply(gy, false, Param({dense.WeightConst}, {dense.Out}, {dense.In}), false, Act({gInBuf}, {rows}, {dense.In}), pool: _pool); // ∂L/∂x = ∂L/∂y · W");
            w.Unindent();
            w.Line("}");
        }
    }
}
