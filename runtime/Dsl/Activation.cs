namespace GenDsl;

/// <summary>The activation functions a layer (or a fused GEMM epilogue) can apply.</summary>
public enum Activation
{
    /// <summary>f(x) = x.</summary>
    Identity = 0,
    /// <summary>f(x) = max(x, 0).</summary>
    Relu = 1,
    /// <summary>f(x) = x for x &gt; 0, α·x otherwise (α = 0.2 in layers, configurable in kernels).</summary>
    LeakyRelu = 2,
    /// <summary>f(x) = tanh(x).</summary>
    Tanh = 3,
    /// <summary>f(x) = 1 / (1 + e^(−x)).</summary>
    Sigmoid = 4,
    /// <summary>f(x) = ln(1 + e^x), computed stably for large |x|.</summary>
    Softplus = 5,
}
