using CommunityToolkit.HighPerformance;

namespace GenDsl;

/// <summary>
/// Declares a regressor x̂ = f(y) trained by the mean squared error: the course's counter-example to a conditional
/// generative model. Layer members: <c>[Predictor, Dense(…)]</c> (or any op of the layer catalogue), in declaration
/// order; the network reads the condition y as a flat vector, as a GAN's generator reads [z, y] and a CVAE's decoder
/// [z, y] — the same network without z — and its output layer (Features wide, activation <see cref="Output"/>) is
/// implied, unless the last layer is a [Conv]/[ConvTranspose] that makes the data's image itself.
/// </summary>
/// <remarks>
/// The minimiser of E‖f(y) − x‖² is the conditional mean E[x | y]: where several x fit one y (a low-resolution image,
/// the upper half of a digit), the regressor answers their average, a blur, where a conditional generative model draws
/// one sharp answer per sample.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class RegressorAttribute : Attribute
{
    /// <summary>Image data: the channels of an image (with <see cref="Height"/> and <see cref="Width"/>; Features may then be omitted, it is C·H·W). A row holds the image channel-major, as a flattened NCHW tensor.</summary>
    public int Channels { get; set; }

    /// <summary>Image data: the height of an image in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Image data: the width of an image in pixels.</summary>
    public int Width { get; set; }

    /// <summary>Columns of a target row x.</summary>
    public int Features { get; set; }

    /// <summary>Size k of the input Y (required: a regressor predicts x from y).</summary>
    public int Condition { get; set; }

    /// <summary>
    /// An image input's channels (with <see cref="ConditionHeight"/> and <see cref="ConditionWidth"/>; Condition is then
    /// their product and may be left out), declared as for the conditional [Vae], [Gan] and [Flow] of the same task. The
    /// network reads it flat, channel-major, as their networks that start from z do.
    /// </summary>
    public int ConditionChannels { get; set; }

    /// <summary>An image input's height (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionHeight { get; set; }

    /// <summary>An image input's width (see <see cref="ConditionChannels"/>).</summary>
    public int ConditionWidth { get; set; }

    /// <summary>Activation of the output layer (Sigmoid for data in [0, 1], Tanh for [−1, 1]).</summary>
    public Activation Output { get; set; } = Activation.Identity;
}

/// <summary>Marks a layer of a [Regressor]'s network f(y).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class PredictorAttribute : Attribute
{
}

/// <summary>A generated regressor x̂ = f(y), trained by the mean squared error.</summary>
public interface IRegressorModel : IGenerativeModel
{
    /// <summary>One Adam/SGD step on the mean over rows and columns of (f(y) − x)²; returns that mean before the step.</summary>
    float TrainStep(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y, Optimizer optimizer);

    /// <summary>x̂ = f(y) for each row of y.</summary>
    void Predict(ReadOnlySpan2D<float> y, Span2D<float> x);

    /// <summary>The mean over rows and columns of (f(y) − x)², without training.</summary>
    double MeanSquaredError(ReadOnlySpan2D<float> x, ReadOnlySpan2D<float> y);
}
