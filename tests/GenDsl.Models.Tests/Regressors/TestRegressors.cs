namespace GenDsl.Models.Tests.Regressors;

// Tiny [Regressor] declarations: a dense one on vectors with an implied sigmoid head, a convolutional one on 1×5×5
// images whose last ConvTranspose makes the image (no implied head) after a batch norm, from an image input [1, 3, 3]
// read flat, and the smallest one (no layers: linear regression). RegressorTests' references mirror them layer by layer.

/// <summary>Dense: y of 3 → 7 (tanh) → 6 (LeakyReLU) → the implied head 5 (sigmoid).</summary>
[Regressor(Features = 5, Condition = 3, Output = Activation.Sigmoid)]
public sealed partial class DenseRegressor
{
    [Predictor, Dense(7, Activation.Tanh)] public partial Dense P1 { get; }
    [Predictor, Dense(6, Activation.LeakyRelu)] public partial Dense P2 { get; }
}

/// <summary>Convolutional, as a super-resolution regressor: y [1, 3, 3] flat → 27 → [3, 3, 3] → batch norm → ConvTranspose to [1, 5, 5].</summary>
[Regressor(Channels = 1, Height = 5, Width = 5, ConditionChannels = 1, ConditionHeight = 3, ConditionWidth = 3)]
public sealed partial class ConvRegressor
{
    [Predictor, Dense(27, Activation.LeakyRelu)] public partial Dense P1 { get; }
    [Predictor, Unflatten(3, 3, 3)] public partial Reshape P2 { get; }
    [Predictor, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm P3 { get; }
    [Predictor, ConvTranspose(1, 3, Activation = Activation.Sigmoid)] public partial Conv P4 { get; }
}

/// <summary>No layers: x̂ = y·Wᵀ + b, linear least squares.</summary>
[Regressor(Features = 2, Condition = 4)]
public sealed partial class LinearRegressor
{
}
