using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Data;
using GenDsl.Cli.Models;
using GenDsl.Cli.Output;
using GenDsl.Cli.Training;
using GenDsl.Data;
using GenDsl.Models;
using GenDsl.Threading;

namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>gendsl demo</c>: the first thing a newcomer runs. It trains ready-made models on data that
/// ships with GenDsl, within a few minutes on two cores, and writes pictures, <c>metrics.json</c>
/// and an <c>index.html</c> that shows them together — including the course's question: why a
/// regressor trained with MSE is not a generative model (its answer is the conditional MEAN, which
/// can lie where there is no data), while a conditional generative model's samples land on the data.
/// </summary>
internal sealed class DemoCommand : Command
{
    /// <summary>How much work each part does; <see cref="Quick"/> is for tests and smoke runs (seconds).</summary>
    internal sealed record Budget(int MoonsSteps, int MoonsBatch, int ConditionalSteps, int ConditionalBatch, int Samples, int Grid, int SliceSamples,
        int VaeSteps, int GanSteps, int CvaeSteps, int FashionSteps, int FashionEvalRows, int M2Steps, int M2BaselineSteps)
    {
        // About 30 s on 2 cores in all (metrics.json: part_seconds): the flows ~6 s, the GAN ~6 s, the dense VAEs ~1 s each,
        // the conv VAE on Fashion-MNIST ~15 s (400 steps of 128, 5 epochs; the DCGAN, ~0.15 s a step of 64, would need minutes for shapes as clear).
        public static readonly Budget Full = new(MoonsSteps: 2000, MoonsBatch: 512, ConditionalSteps: 1500, ConditionalBatch: 256,
            Samples: 2000, Grid: 200, SliceSamples: 40_000, VaeSteps: 3000, GanSteps: 5000, CvaeSteps: 3000, FashionSteps: 400, FashionEvalRows: 500,
            M2Steps: 1500, M2BaselineSteps: 500); // M2: M2LearningTests' budget, ≈ 17–40 s

        public static readonly Budget Quick = new(MoonsSteps: 40, MoonsBatch: 128, ConditionalSteps: 40, ConditionalBatch: 128,
            Samples: 400, Grid: 40, SliceSamples: 4000, VaeSteps: 40, GanSteps: 40, CvaeSteps: 40, FashionSteps: 5, FashionEvalRows: 50,
            M2Steps: 20, M2BaselineSteps: 20);
    }

    public override string Name => "demo";
    public override string Summary => "Train ready-made models on shipped data; write pictures, metrics.json and an index.html report.";
    public override string Usage => "gendsl demo [--out DIR] [--quick] [--seed S] [--threads T]";

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Value("--out", "DIR", "folder for the report (default: gendsl-demo)"),
        OptionSpec.Flag("--quick", "a tiny budget (seconds): checks that everything runs, pictures are rough"),
        OptionSpec.Value("--seed", "S", "seed of parameters, batches and samples (default 1)"),
        Shared.Threads,
    ];

    /// <summary>The 2-D view used for every moons picture.</summary>
    private static readonly (double X0, double X1, double Y0, double Y1) s_moonsView = (-1.5, 2.5, -1.0, 1.5);

    /// <summary>Picture height for the moons view (wider than tall, drawn with equal units on both axes).</summary>
    private const int MoonsHeight = 470;

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(0, 0, Usage);
        string outDir = line.GetString("--out") ?? "gendsl-demo";
        var budget = line.Has("--quick") ? Budget.Quick : Budget.Full;
        ulong seed = line.GetULong("--seed", 1);
        Directory.CreateDirectory(outDir);
        using var pool = Shared.CreatePool(line);
        var total = Stopwatch.StartNew();

        var demo = new DemoRun(context, outDir, budget, seed, pool);
        context.Out.WriteLine($"gendsl demo → {Path.GetFullPath(outDir)} ({(line.Has("--quick") ? "quick budget" : "full budget")}, {pool.Threads} thread{(pool.Threads == 1 ? "" : "s")})");
        try
        {
            var moons = DataCatalog.Load("moons", ModelRegistry.Get("moons-flow"));
            var flow = demo.Timed("flow", () => demo.FlowOnMoons(moons));
            var conditional = demo.Timed("conditional", () => demo.ConditionalFlowOnMoons(moons));
            var digits = DataCatalog.Load("digits", ModelRegistry.Get("digits-vae"));
            demo.Timed("vae", () => demo.VaeOnDigits(digits));
            demo.Timed("gan", () => demo.GanOnRing(DataCatalog.Load("8gaussians", ModelRegistry.Get("ring-gan"))));
            demo.Timed("conv-vae", () => demo.ConvVaeOnFashion(DataCatalog.Load("fashion", ModelRegistry.Get("fashion-conv-vae"))));
            demo.Timed("regression", () => demo.RegressionVersusGeneration(moons, flow, conditional));
            demo.Timed("regression-digits", () => demo.DigitsGivenTheLabel(digits));
            demo.Timed("semi-supervised", () => demo.SemiSupervisedOnMnist());
        }
        catch (DemoInterrupted e)
        {
            context.Out.WriteLine(e.Message);
            return ExitCodes.Interrupted;
        }
        catch (DemoDiverged e)
        {
            context.Err.WriteLine($"error: {e.Message}");
            return ExitCodes.Diverged;
        }

        demo.Metrics["total_seconds"] = Math.Round(total.Elapsed.TotalSeconds, 2);
        File.WriteAllText(Path.Combine(outDir, "metrics.json"), demo.Metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        HtmlReport.Write(Path.Combine(outDir, "index.html"), "GenDsl demo",
            [
                "Generative models declared in C# with GenDsl, trained on this machine by the gendsl demo command: a normalizing flow, " +
                "a variational auto-encoder, a GAN, a convolutional VAE on photos of clothing, and conditional versions. Each section shows what the model learned from data that " +
                "ships with GenDsl, and how well (held-out metrics).",
                "The last two sections answer the course's question: why is a regressor trained with the mean squared error not a generative model?",
            ],
            demo.Sections,
            $"Generated by gendsl demo in {total.Elapsed.TotalSeconds:F0} s on {pool.Threads} thread{(pool.Threads == 1 ? "" : "s")} " +
            $"({(line.Has("--quick") ? "quick" : "full")} budget, seed {seed}).");

        context.Out.WriteLine($"Done in {total.Elapsed.TotalSeconds:F1} s. Open {Path.Combine(outDir, "index.html")} (pictures, metrics.json, checkpoints in the same folder).");
        return ExitCodes.Ok;
    }

    private sealed class DemoInterrupted(string message) : Exception(message);
    private sealed class DemoDiverged(string message) : Exception(message);

    /// <summary>The state of one demo run: where it writes, its budget, the report sections and metrics so far.</summary>
    private sealed class DemoRun(CliContext context, string outDir, Budget budget, ulong seed, WorkerPool pool)
    {
        public List<ReportSection> Sections { get; } = [];
        private readonly JsonObject _models = [];
        public JsonObject Metrics { get; } = new() { ["quick"] = budget == Budget.Quick, ["seed"] = seed, ["threads"] = pool.Threads };

        /// <summary>Adds the per-model metrics object to <see cref="Metrics"/> (once).</summary>
        private JsonObject Models
        {
            get
            {
                if (_models.Parent is null) Metrics["models"] = _models;
                return _models;
            }
        }

        private readonly JsonObject _partSeconds = [];

        /// <summary>Runs one part of the demo and records its wall-clock time under <c>part_seconds</c> in metrics.json.</summary>
        public T Timed<T>(string part, Func<T> run)
        {
            if (_partSeconds.Parent is null) Metrics["part_seconds"] = _partSeconds;
            var clock = Stopwatch.StartNew();
            var result = run();
            _partSeconds[part] = Math.Round(clock.Elapsed.TotalSeconds, 2);
            return result;
        }

        /// <inheritdoc cref="Timed{T}(string, Func{T})"/>
        public void Timed(string part, Action run) => Timed(part, () => { run(); return 0; });

        /// <summary>Trains one registry model with the shared loop; its checkpoint goes to DIR/&lt;model&gt;/.</summary>
        private (ModelSession Session, TrainResult Result) Train(string name, Dataset train, int steps, int batch)
        {
            var entry = ModelRegistry.Get(name);
            var session = entry.Create(new ModelOptions { MaxBatch = Math.Max(batch, Math.Min(SampleCommand.Chunk, entry.MaxEvaluationBatch)), Seed = seed, Pool = pool });
            string dir = Path.Combine(outDir, name);
            foreach (string file in new[] { TrainingRun.ModelFile, TrainingRun.OptimizerFile, TrainingRun.LossFile })
                if (File.Exists(Path.Combine(dir, file)))
                    File.Delete(Path.Combine(dir, file)); // the demo starts afresh each time
            var settings = new TrainSettings
            {
                Steps = steps, Batch = batch, LearningRate = entry.Training.LearningRate, Seed = seed,
                LearningRateDropAt = entry.Training.LearningRateDropAt, OutDir = dir, CheckpointEvery = steps,
            };
            context.Out.WriteLine($"Training {name} ({Shared.Count(session.ParameterCount)} parameters): {steps} steps of {batch}");
            var result = TrainingDisplay.Run(context, name, steps, progress =>
                new TrainingRun(session, train, settings) { Progress = progress }.Run(context.CancellationToken));
            if (result.Outcome == TrainOutcome.Interrupted)
                throw new DemoInterrupted($"Demo interrupted while training {name}.");
            if (result.Outcome == TrainOutcome.Diverged)
                throw new DemoDiverged(result.Message);
            return (session, result);
        }

        private JsonObject ModelMetrics(string name, TrainResult result, int batch, IReadOnlyList<Metric> metrics, ModelSession session)
        {
            var json = new JsonObject
            {
                ["family"] = session.Entry.Family.ToString().ToLowerInvariant(),
                ["data"] = session.Entry.DefaultData,
                ["parameters"] = session.ParameterCount,
                ["steps"] = result.Step,
                ["batch"] = batch,
                ["train_seconds"] = Math.Round(result.Seconds, 2),
                ["steps_per_second"] = Math.Round(result.Step / Math.Max(result.Seconds, 1e-9), 1),
                ["checkpoint"] = $"{name}/{TrainingRun.ModelFile}",
            };
            var held = new JsonObject();
            foreach (var m in metrics) held[m.Key] = Round(m.Value);
            json["held_out"] = held;
            Models[name] = json;
            return json;
        }

        /// <summary>MoonsFlow on two moons: data vs samples, the learned density, the loss curve, held-out NLL.</summary>
        public ModelSession FlowOnMoons(LoadedData moons)
        {
            const string name = "moons-flow";
            var (session, result) = Train(name, moons.Train, budget.MoonsSteps, budget.MoonsBatch);
            var metrics = session.Evaluate(moons.Test, moons.Source, seed, context.CancellationToken);
            var json = ModelMetrics(name, result, budget.MoonsBatch, metrics, session);

            var samples = SampleCommand.Draw(session, budget.Samples, [], new Rng(seed, stream: 11));
            var data = moons.Test.Data.AsSpan(0, budget.Samples * 2);
            Plots.SaveRow(Path.Combine(outDir, "moons-flow-samples.png"),
            [
                Plots.Scatter($"Data: {budget.Samples} held-out points", [Series(data, "data", Plots.DataColor.WithAlpha(0.8))], s_moonsView),
                Plots.Scatter($"MoonsFlow: {budget.Samples} samples", [Series(samples, "samples", Plots.ClassColor(0))], s_moonsView),
            ], height: MoonsHeight);
            Plots.Save(DensityPlot(session, "MoonsFlow: learned density p(x)"), Path.Combine(outDir, "moons-flow-density.png"), height: MoonsHeight);
            SaveLoss(name, result);

            double nll = metrics.First(m => m.Key == "nll").Value;
            var onData = OnDataShare(samples, moons.Test, radius: 0.1);
            json["samples_on_data"] = Round(onData);
            var section = new ReportSection("flow", "Normalizing flow: MoonsFlow on two moons");
            section.Paragraphs.Add(
                "A RealNVP flow maps the data through 8 invertible affine couplings to a standard normal. Because the map is invertible " +
                "with a cheap Jacobian, the flow gives the exact log-likelihood of every point, and it is trained by maximising it. " +
                "Sampling runs the map backwards from Gaussian noise.");
            section.Images.Add(("moons-flow-samples.png", "Held-out data (left) and samples of the trained flow (right)."));
            section.Images.Add(("moons-flow-density.png", "The density the flow assigns to each point of the plane: mass on the moons, none between them."));
            section.Images.Add(("moons-flow-loss.png", "Training loss: mean negative log-likelihood (nats) of each batch."));
            section.Facts.Add(("held-out NLL (nats per point; lower is better)", F(nll)));
            section.Facts.Add(("bits per dimension", F(nll / (2 * Math.Log(2)))));
            section.Facts.Add(("samples within 0.1 of a data point", $"{onData:P0}"));
            section.Facts.Add(("training", $"{result.Step} steps of {budget.MoonsBatch} in {result.Seconds:F1} s"));
            Sections.Add(section);
            context.Out.WriteLine($"  held-out NLL {F(nll)} nats; {onData:P0} of the samples lie on the moons");
            return session;
        }

        /// <summary>ConditionalMoonsFlow: samples for each label, held-out NLL, and the flow used as a classifier.</summary>
        public ModelSession ConditionalFlowOnMoons(LoadedData moons)
        {
            const string name = "conditional-moons-flow";
            var (session, result) = Train(name, moons.Train, budget.ConditionalSteps, budget.ConditionalBatch);
            var metrics = session.Evaluate(moons.Test, moons.Source, seed, context.CancellationToken);
            var json = ModelMetrics(name, result, budget.ConditionalBatch, metrics, session);

            var labels = SampleCommand.Labels(session.Entry, budget.Samples, condition: null);
            var samples = SampleCommand.Draw(session, budget.Samples, labels, new Rng(seed, stream: 12));
            var series = new List<PointSeries> { Series(moons.Test.Data.AsSpan(0, budget.Samples * 2), "data", Plots.DataColor) };
            for (int k = 0; k < 2; k++)
                series.Add(Series(Select(samples, labels, k), $"samples | moon {k}", Plots.ClassColor(k)));
            Plots.Save(Plots.Scatter("ConditionalMoonsFlow: samples given the moon", series, s_moonsView), Path.Combine(outDir, "conditional-moons-flow-samples.png"), height: MoonsHeight);
            SaveLoss(name, result);

            double fidelity = ConditionFidelity(samples, labels, moons.Test);
            json["samples_on_their_moon"] = Round(fidelity);
            double nll = metrics.First(m => m.Key == "nll").Value, accuracy = metrics.First(m => m.Key == "bayes_accuracy").Value;
            var section = new ReportSection("conditional", "Conditional flow: p(x | which moon)");
            section.Paragraphs.Add(
                "The same kind of flow, with the label (outer moon 0, inner moon 1) fed as a one-hot vector to every coupling network. " +
                "It learns one density per label; sampling with a label draws points from that moon only. Since it gives p(x | k) " +
                "for every k, it is also a classifier: argmax over k of p(x | k).");
            section.Images.Add(("conditional-moons-flow-samples.png", "Samples given moon 0 and given moon 1, over the data (grey)."));
            section.Images.Add(("conditional-moons-flow-loss.png", "Training loss: mean negative log-likelihood of each batch given its labels."));
            section.Facts.Add(("held-out NLL given the label (nats per point)", F(nll)));
            section.Facts.Add(("samples nearest to data of their own moon", $"{fidelity:P1}"));
            section.Facts.Add(("accuracy of argmax_k p(x | k) on held-out points", $"{accuracy:P1}"));
            section.Facts.Add(("training", $"{result.Step} steps of {budget.ConditionalBatch} in {result.Seconds:F1} s"));
            Sections.Add(section);
            context.Out.WriteLine($"  held-out NLL {F(nll)} nats; {fidelity:P0} of the samples lie on their moon; classifier accuracy {accuracy:P1}");
            return session;
        }

        /// <summary>
        /// The course's picture. Given which moon, the MSE-optimal prediction is the moon's mean (a point
        /// in the empty middle of the arc); given x₁, it is E[x₂ | x₁], which runs between the moons where
        /// both are possible. Samples of a generative model given the same information lie on the data.
        /// </summary>
        public void RegressionVersusGeneration(LoadedData moons, ModelSession flow, ModelSession conditional)
        {
            var train = moons.Train;
            var reference = moons.Test;
            // (a) Given which moon. With a one-hot input, least squares has a closed form: the mean of each class
            // (a linear model on one-hot inputs is a lookup table, and an MLP trained with MSE converges to the same).
            var classMean = new double[2, 2];
            var count = new int[2];
            for (int r = 0; r < train.Rows; r++)
            {
                int k = train.Labels[r];
                count[k]++;
                classMean[k, 0] += train.Data[2 * r];
                classMean[k, 1] += train.Data[2 * r + 1];
            }
            var labels = SampleCommand.Labels(conditional.Entry, budget.Samples, condition: null);
            var samples = SampleCommand.Draw(conditional, budget.Samples, labels, new Rng(seed, stream: 13));
            var left = new List<PointSeries> { Series(reference.Data.AsSpan(0, budget.Samples * 2), "data", Plots.DataColor) };
            double meanDistance = 0;
            for (int k = 0; k < 2; k++)
            {
                classMean[k, 0] /= count[k];
                classMean[k, 1] /= count[k];
                left.Add(Series(Select(samples, labels, k), $"flow samples | moon {k}", Plots.ClassColor(k).WithAlpha(0.6)));
                meanDistance += Math.Sqrt(Nearest((float)classMean[k, 0], (float)classMean[k, 1], reference, label: k).Distance2) / 2;
            }
            var plotA = Plots.Scatter("Given which moon", left, s_moonsView);
            for (int k = 0; k < 2; k++)
            {
                var marker = plotA.Add.Marker(classMean[k, 0], classMean[k, 1], ScottPlot.MarkerShape.Cross, 22, Plots.ClassColor(k));
                marker.MarkerLineWidth = 4;
                marker.LegendText = $"MSE regressor | moon {k}";
            }

            // (b) Given x₁. E[x₂ | x₁] by averaging x₂ over narrow bins of x₁ (the MSE-optimal regressor, without a model's error);
            // the generative side: the joint flow's samples whose x₁ falls in a slice, i.e. samples of p(x₂ | x₁).
            const double binWidth = 0.1, lo = -1.2;
            int bins = 34;
            var sum = new double[bins];
            var n = new int[bins];
            for (int r = 0; r < train.Rows; r++)
            {
                int b = (int)Math.Floor((train.Data[2 * r] - lo) / binWidth);
                if ((uint)b < (uint)bins) { sum[b] += train.Data[2 * r + 1]; n[b]++; }
            }
            var curveX = new List<double>();
            var curveY = new List<double>();
            for (int b = 0; b < bins; b++)
                if (n[b] >= 20) { curveX.Add(lo + (b + 0.5) * binWidth); curveY.Add(sum[b] / n[b]); }
            // Where both moons are possible (0 < x₁ < 1) the mean falls between them; elsewhere p(x₂ | x₁) has one mode and the mean is fine.
            var overlap = new List<float>();
            for (int i = 0; i < curveX.Count; i++)
                if (curveX[i] > 0 && curveX[i] < 1) { overlap.Add((float)curveX[i]); overlap.Add((float)curveY[i]); }
            double curveOnData = OnDataShare(overlap.ToArray(), reference, radius: 0.1);

            var joint = SampleCommand.Draw(flow, budget.SliceSamples, [], new Rng(seed, stream: 14));
            double[] slices = [-0.5, 0.0, 0.5, 1.0, 1.5];
            var right = new List<PointSeries> { Series(reference.Data.AsSpan(0, budget.Samples * 2), "data", Plots.DataColor) };
            var sliceRows = new List<float>();
            for (int s = 0; s < slices.Length; s++)
            {
                var xs = new List<double>();
                var ys = new List<double>();
                for (int i = 0; i < budget.SliceSamples; i++)
                    if (Math.Abs(joint[2 * i] - slices[s]) < 0.03)
                    {
                        xs.Add(joint[2 * i]); ys.Add(joint[2 * i + 1]);
                        sliceRows.Add(joint[2 * i]); sliceRows.Add(joint[2 * i + 1]);
                    }
                right.Add(new PointSeries(xs.ToArray(), ys.ToArray(), s == 0 ? "flow samples with x₁ in a slice" : "", Plots.ClassColor(2), 4));
            }
            double sliceOnData = sliceRows.Count > 0 ? OnDataShare(sliceRows.ToArray(), reference, radius: 0.1) : double.NaN;
            var plotB = Plots.Scatter("Given x₁", right, s_moonsView);
            var line = plotB.Add.ScatterLine(curveX.ToArray(), curveY.ToArray(), Plots.ClassColor(3));
            line.LineWidth = 3;
            line.LegendText = "MSE regressor E[x₂ | x₁]";
            Plots.SaveRow(Path.Combine(outDir, "regression-vs-generation.png"), [plotA, plotB], height: MoonsHeight);

            double samplesOnData = OnDataShare(samples, reference, radius: 0.1, labels);
            Metrics["regression_vs_generation"] = new JsonObject
            {
                ["given_moon"] = new JsonObject
                {
                    ["regressor_distance_to_its_moon"] = Round(meanDistance),
                    ["samples_within_0.1_of_their_moon"] = Round(samplesOnData),
                },
                ["given_x1"] = new JsonObject
                {
                    ["regressor_curve_within_0.1_of_data_for_x1_in_0_1"] = Round(curveOnData),
                    ["slice_samples_within_0.1_of_data"] = Round(sliceOnData),
                },
            };
            var section = new ReportSection("regression", "A regressor versus a conditional generative model");
            section.Paragraphs.Add(
                "Give a model some information about a point — which moon it is on, or its first coordinate x₁ — and ask for the rest. " +
                "A regressor trained with the mean squared error learns the conditional MEAN: the single answer that is closest on average. " +
                "When several answers are possible (a whole arc given the moon; the upper and the lower moon given x₁ between 0 and 1), " +
                "the mean lies between them, where there is no data: it is the blurry average of the possibilities.");
            section.Paragraphs.Add(
                "A conditional generative model learns the whole distribution p(rest | information) and draws from it: each sample is one " +
                "possible answer, and together they cover all of them. Left: the regressor's answer for each moon (crosses) is the centre " +
                "of the arc; the conditional flow's samples trace the arc. Right: E[x₂ | x₁] runs through the gap between the moons; " +
                "samples of the flow in thin slices of x₁ land on the upper or the lower moon, never between.");
            section.Images.Add(("regression-vs-generation.png", "Crosses and the red curve: MSE regression. Dots: samples of the flows."));
            section.Facts.Add(("given the moon: mean distance from the regressor's answer to that moon's data", F(meanDistance)));
            section.Facts.Add(("given the moon: samples within 0.1 of that moon's data", $"{samplesOnData:P0}"));
            section.Facts.Add(("given x₁ between 0 and 1: points of the regression curve within 0.1 of a data point", $"{curveOnData:P0}"));
            section.Facts.Add(("given x₁: slice samples within 0.1 of a data point", double.IsNaN(sliceOnData) ? "–" : $"{sliceOnData:P0}"));
            Sections.Add(section);
            context.Out.WriteLine($"Regression vs generation: the MSE answer given the moon is {F(meanDistance)} away from that moon; {samplesOnData:P0} of the flow's samples are within 0.1 of it.");
        }

        /// <summary>DigitsVae on the 8×8 digits: samples, reconstructions, the loss terms, held-out ELBO and IWAE.</summary>
        public void VaeOnDigits(LoadedData digits)
        {
            const string name = "digits-vae";
            int batch = ModelRegistry.Get(name).Training.Batch;
            var (session, result) = Train(name, digits.Train, budget.VaeSteps, batch);
            var metrics = session.Evaluate(digits.Test, digits.Source, seed, context.CancellationToken);
            ModelMetrics(name, result, batch, metrics, session);

            var samples = SampleCommand.Draw(session, 80, [], new Rng(seed, stream: 21));
            Plots.SaveImageGrid(Path.Combine(outDir, "digits-vae-samples.png"), samples, 8, columns: 10, scale: 6);
            // Reconstructions: 16 held-out digits (top row) and what the VAE makes of them (bottom row).
            const int shown = 16;
            SaveReconstructions((VaeSession<GenDsl.Models.DigitsVae>)session, digits.Test, shown, side: 8, scale: 6, "digits-vae-reconstructions.png");
            SaveLoss(name, result);

            double elbo = Value(metrics, "negative_elbo"), iwae = Value(metrics, "iwae_nll");
            var section = new ReportSection("vae", "Variational auto-encoder: DigitsVae on 8×8 digits");
            section.Paragraphs.Add(
                "A VAE learns an encoder q(z | x) that maps a digit to a distribution over an 8-dimensional code z, and a decoder p(x | z) " +
                "that maps a code back to pixel probabilities. It is trained on the ELBO: reconstruct the input well (reconstruction term) " +
                "while keeping q(z | x) close to the N(0, I) prior (KL term), so that decoding codes drawn from the prior gives new digits. " +
                "The ELBO is a lower bound on ln p(x); importance weighting (IWAE) tightens it.");
            section.Images.Add(("digits-vae-samples.png", "80 samples: decoder means for codes z drawn from N(0, I)."));
            section.Images.Add(("digits-vae-reconstructions.png", "Top row: held-out digits. Bottom row: their reconstructions through the 8-dimensional code."));
            section.Images.Add(("digits-vae-loss.png", "Training loss (the negative ELBO) and its two terms, reconstruction and KL."));
            section.Facts.Add(("held-out −ELBO (nats per image)", F(elbo)));
            section.Facts.Add(($"held-out IWAE({VaeSession<GenDsl.Models.DigitsVae>.IwaeSamples}) estimate of −ln p(x) (nats; tighter)", F(iwae)));
            section.Facts.Add(("training", $"{result.Step} steps of {batch} in {result.Seconds:F1} s"));
            Sections.Add(section);
            context.Out.WriteLine($"  held-out −ELBO {F(elbo)} nats, IWAE {F(iwae)} nats");
        }

        /// <summary>FashionConvVae on 28×28 Fashion-MNIST: samples (one row per draw), reconstructions, the loss terms, held-out ELBO and IWAE.</summary>
        public void ConvVaeOnFashion(LoadedData fashion)
        {
            const string name = "fashion-conv-vae";
            int batch = ModelRegistry.Get(name).Training.Batch;
            var (session, result) = Train(name, fashion.Train, budget.FashionSteps, batch);
            // IWAE(50) decodes every image 50 times: a part of the held-out images keeps the demo quick (gendsl eval scores all 2,000).
            var test = TrainCommand.Limit(fashion.Test, budget.FashionEvalRows);
            var metrics = session.Evaluate(test, fashion.Source, seed, context.CancellationToken);
            ModelMetrics(name, result, batch, metrics, session);

            const int side = 28, d = side * side, columns = 12;
            var samples = SampleCommand.Draw(session, 4 * columns, [], new Rng(seed, stream: 25));
            Plots.SaveImageGrid(Path.Combine(outDir, "fashion-conv-vae-samples.png"), samples, side, columns, scale: 3);
            // Reconstructions: 12 held-out photos (top row) and what the VAE makes of them through its 16 numbers (bottom row).
            SaveReconstructions((VaeSession<GenDsl.Models.FashionConvVae>)session, fashion.Test, columns, side, scale: 3, "fashion-conv-vae-reconstructions.png");
            SaveLoss(name, result);

            double elbo = Value(metrics, "negative_elbo"), iwae = Value(metrics, "iwae_nll");
            var section = new ReportSection("conv-vae", "Convolutional VAE: FashionConvVae on 28×28 clothing photos");
            section.Paragraphs.Add(
                "The same kind of model on real photos, with layers that suit images. The encoder slides small 4×4 filters over the " +
                "picture (two stride-2 convolutions: 28×28 → 14×14 → 7×7, 32 then 64 channels) before a dense layer gives the 16-dimensional " +
                "code; the decoder mirrors it with transposed convolutions back up to 28×28. A filter is shared by every position, so the " +
                "model has fewer parameters than a dense one of the same width and knows from the start that a sleeve is a sleeve wherever it is.");
            section.Images.Add(("fashion-conv-vae-samples.png", $"{samples.Length / d} samples: decoder means for codes z drawn from N(0, I)."));
            section.Images.Add(("fashion-conv-vae-reconstructions.png", "Top row: held-out photos. Bottom row: their reconstructions through the 16-dimensional code."));
            section.Images.Add(("fashion-conv-vae-loss.png", "Training loss (the negative ELBO, nats per image) and its terms, reconstruction and KL."));
            section.Paragraphs.Add(
                $"A short run ({result.Step} steps, about {Math.Max(1, result.Step * batch / fashion.Train.Rows)} passes over the 10,000 training photos): " +
                "the samples are blurry, but many are already recognisably a shoe, a pair of trousers, a bag or a top. gendsl train fashion-conv-vae trains it longer, and " +
                "gendsl train fashion-dcgan trains the DCGAN, whose samples are sharper (a GAN is not bound to a pixel likelihood) but which " +
                "takes minutes rather than seconds on two cores.");
            section.Facts.Add(($"held-out −ELBO (nats per image, {test.Rows} images)", F(elbo)));
            section.Facts.Add(($"held-out IWAE({VaeSession<GenDsl.Models.FashionConvVae>.IwaeSamples}) estimate of −ln p(x) (nats; tighter)", F(iwae)));
            section.Facts.Add(("parameters", Shared.Count(session.ParameterCount)));
            section.Facts.Add(("training", $"{result.Step} steps of {batch} in {result.Seconds:F1} s"));
            Sections.Add(section);
            context.Out.WriteLine($"  held-out −ELBO {F(elbo)} nats, IWAE {F(iwae)} nats ({test.Rows} images)");
        }

        /// <summary>RingGan on the ring of 8 Gaussians: samples against the modes, mode coverage, the two losses around ln 4.</summary>
        public void GanOnRing(LoadedData ring)
        {
            const string name = "ring-gan";
            int batch = ModelRegistry.Get(name).Training.Batch;
            var (session, result) = Train(name, ring.Train, budget.GanSteps, batch);
            var metrics = session.Evaluate(ring.Test, ring.Source, seed, context.CancellationToken);
            ModelMetrics(name, result, batch, metrics, session);

            var mixture = DataCatalog.KnownMixture(ring.Source)!;
            var samples = SampleCommand.Draw(session, budget.Samples, [], new Rng(seed, stream: 22));
            var coverage = GenDsl.Metrics.ModeMetrics.Evaluate(new ReadOnlySpan2D<float>(samples, budget.Samples, 2), mixture);
            var view = (-2.8, 2.8, -2.8, 2.8);
            var right = Plots.Scatter($"RingGan: {budget.Samples} samples", [Series(samples, "samples", Plots.ClassColor(1))], view);
            for (int m = 0; m < mixture.Count; m++)
            {
                var (cx, cy) = mixture.Centre(m);
                var centre = right.Add.Marker(cx, cy, ScottPlot.MarkerShape.OpenCircle, 26, Plots.ClassColor(3));
                centre.MarkerLineWidth = 2;
                if (m == 0) centre.LegendText = "modes (3σ)";
                var label = right.Add.Text($"{coverage.CountsPerMode[m]}", cx * 1.22, cy * 1.22);
                label.LabelFontSize = 13;
                label.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
            }
            Plots.SaveRow(Path.Combine(outDir, "ring-gan-samples.png"),
            [
                Plots.Scatter($"Data: {budget.Samples} held-out points", [Series(ring.Test.Data.AsSpan(0, budget.Samples * 2), "data", Plots.DataColor.WithAlpha(0.8))], view),
                right,
            ]);
            var loss = LossPlot(name, result);
            var ln4 = loss.Add.HorizontalLine(Math.Log(4), 1.5f, Plots.ClassColor(7), ScottPlot.LinePattern.Dashed);
            ln4.LegendText = "ln 4: D cannot tell real from fake";
            Plots.Save(loss, Path.Combine(outDir, $"{name}-loss.png"));

            var section = new ReportSection("gan", "GAN: RingGan on a ring of 8 Gaussians");
            section.Paragraphs.Add(
                "A GAN has no likelihood. A generator turns noise into points; a discriminator learns to tell them from real data; the " +
                "generator learns to fool it. At the equilibrium the discriminator outputs ½ everywhere and its loss is ln 4. The classic " +
                "failure is mode collapse — the generator settles on a few of the modes — so a GAN is judged on its samples: how many of " +
                "the 8 modes they cover, and what share of them lands within 3σ of a mode.");
            section.Images.Add(("ring-gan-samples.png", "Held-out data (left) and GAN samples (right); the number next to each mode counts the samples within 3σ of it."));
            section.Images.Add(("ring-gan-loss.png", "The discriminator's and the generator's losses (the learning rate drops ×0.1 for the last 40% of the steps)."));
            section.Facts.Add(("modes covered (≥ 1% of the samples within 3σ)", $"{coverage.ModesCovered} of {coverage.Modes}"));
            section.Facts.Add(("samples within 3σ of a mode", $"{coverage.HighQualityShare:P1}"));
            section.Facts.Add(("mean D(x) on held-out data / on samples", $"{F(Value(metrics, "d_real"))} / {F(Value(metrics, "d_fake"))}"));
            section.Facts.Add(("training", $"{result.Step} steps of {batch} in {result.Seconds:F1} s"));
            Sections.Add(section);
            context.Out.WriteLine($"  {coverage}");
        }

        /// <summary>
        /// The course's question on images: given the digit, the MSE regressor answers the class-mean image
        /// (a blur of every way of writing it); the conditional VAE draws distinct, plausible digits.
        /// </summary>
        public void DigitsGivenTheLabel(LoadedData digits)
        {
            const string name = "digits-cvae";
            int batch = ModelRegistry.Get(name).Training.Batch;
            var (session, result) = Train(name, digits.Train, budget.CvaeSteps, batch);
            var metrics = session.Evaluate(digits.Test, digits.Source, seed, context.CancellationToken);
            ModelMetrics(name, result, batch, metrics, session);

            // Least squares with a one-hot input has a closed form: the mean image of each digit.
            const int classes = 10, d = 64, perClass = 5;
            var mean = new float[classes * d];
            var count = new int[classes];
            var train = digits.Train;
            for (int r = 0; r < train.Rows; r++)
            {
                int k = train.Labels[r];
                count[k]++;
                var row = train.Row(r);
                for (int j = 0; j < d; j++) mean[k * d + j] += row[j];
            }
            for (int k = 0; k < classes; k++)
                for (int j = 0; j < d; j++) mean[k * d + j] /= count[k];

            // Samples: 5 per digit, in the grid's order (row 0: the means, then one row per draw).
            var labels = new int[perClass * classes];
            for (int i = 0; i < labels.Length; i++) labels[i] = i % classes;
            var samples = SampleCommand.Draw(session, labels.Length, labels, new Rng(seed, stream: 23));
            var grid = new float[(perClass + 1) * classes * d];
            mean.CopyTo(grid, 0);
            samples.CopyTo(grid, classes * d);
            Plots.SaveImageGrid(Path.Combine(outDir, "regression-vs-generation-digits.png"), grid, 8, columns: classes, scale: 7, separateFirstRows: 1);

            // Two measures. How many different answers for the same digit: the mean RMS distance between two answers
            // (0 for the regressor: it has one). How "written" an answer looks: the share of pixels that are clearly ink
            // or clearly background, as in real digits (an average has many grey pixels in between).
            var many = new int[20 * classes];
            for (int i = 0; i < many.Length; i++) many[i] = i % classes;
            var diverse = SampleCommand.Draw(session, many.Length, many, new Rng(seed, stream: 24));
            double realSpread = Spread(digits.Test.Data, digits.Test.Labels.ToArray()), sampleSpread = Spread(diverse, many);
            static double Decided(ReadOnlySpan<float> pixels)
            {
                int decided = 0;
                foreach (float p in pixels) if (p < 0.2f || p > 0.8f) decided++;
                return (double)decided / pixels.Length;
            }
            double realDecided = Decided(digits.Test.Data), meanDecided = Decided(mean), sampleDecided = Decided(diverse);
            Metrics["regression_vs_generation_digits"] = new JsonObject
            {
                ["answer_spread_real"] = Round(realSpread),
                ["answer_spread_regressor"] = 0.0,
                ["answer_spread_samples"] = Round(sampleSpread),
                ["decided_pixels_real"] = Round(realDecided),
                ["decided_pixels_regressor"] = Round(meanDecided),
                ["decided_pixels_samples"] = Round(sampleDecided),
            };
            var section = new ReportSection("regression-digits", "Given the digit: the regressor's blur versus the CVAE's samples");
            section.Paragraphs.Add(
                "The same question on images. Asked for a 3, a regressor trained with the mean squared error answers the average 3 — " +
                "every way of writing a 3 blended into one grey shape. A conditional VAE (the digit fed as a one-hot vector to its encoder " +
                "and decoder) draws from p(image | 3): each sample is one particular 3, and asking again gives another.");
            section.Images.Add(("regression-vs-generation-digits.png",
                "Top row: the MSE regressor's answer for each digit 0 … 9 (the class mean). Rows below: five samples of the conditional VAE for each digit."));
            section.Paragraphs.Add(
                "Two numbers. The spread of the answers for one digit (the mean RMS distance between two of them, per pixel) is 0 for the " +
                "regressor, which has a single answer, while the samples vary like real handwriting (less: a VAE's samples are the " +
                "decoder's means, themselves a little smooth). And an average has more grey pixels than real digits, which are mostly " +
                "clearly ink or clearly background.");
            section.Facts.Add(("spread of the answers for one digit: real held-out digits", F(realSpread)));
            section.Facts.Add(("… the regressor", F(0)));
            section.Facts.Add(("… the conditional VAE's samples", F(sampleSpread)));
            section.Facts.Add(("pixels clearly ink or background (< 0.2 or > 0.8): real held-out digits", $"{realDecided:P0}"));
            section.Facts.Add(("… the regressor's answers", $"{meanDecided:P0}"));
            section.Facts.Add(("… the conditional VAE's samples", $"{sampleDecided:P0}"));
            section.Facts.Add(("conditional VAE: held-out −ELBO given the digit (nats)", F(Value(metrics, "negative_elbo"))));
            section.Facts.Add(("training", $"{result.Step} steps of {batch} in {result.Seconds:F1} s"));
            Sections.Add(section);
            context.Out.WriteLine($"Given the digit: the regressor has one answer; the CVAE's samples spread {F(sampleSpread)} (real digits {F(realSpread)}).");
        }

        /// <summary>
        /// Issue #17's M2 at the CI-sized budget: 100 labels and 7,900 unlabelled MNIST digits, its classifier against the same
        /// network trained on the 100 labels alone, and its style transfer (the longer runs' table is in RESULTS.md).
        /// </summary>
        public void SemiSupervisedOnMnist()
        {
            var settings = new M2Settings { LabelSeed = seed, Steps = budget.M2Steps, BaselineSteps = budget.M2BaselineSteps };
            context.Out.WriteLine($"Training {M2Train.Name}: 100 labels, 7,900 unlabelled images, {settings.Steps} steps");
            var (model, r) = SemiSupervisedExperiment.Run(settings, (_, _, _) => context.CancellationToken.ThrowIfCancellationRequested(),
                create: o => new MnistM2(new ModelOptions { MaxBatch = o.MaxBatch, Seed = o.Seed, Pool = pool }));
            var (_, test) = SemiSupervisedExperiment.Split();
            M2Train.StyleTransfer(model, test, Path.Combine(outDir, "m2-style-transfer.png"));
            Metrics["semi_supervised"] = new JsonObject
            {
                ["labelled"] = r.Labelled,
                ["unlabelled"] = r.Unlabelled,
                ["test_rows"] = r.Test,
                ["m2_test_error"] = Round(r.M2Error),
                ["labels_only_test_error"] = Round(r.BaselineError),
                ["steps"] = settings.Steps,
                ["train_seconds"] = Math.Round(r.Seconds, 2),
            };
            var section = new ReportSection("semi-supervised", "Semi-supervised learning: M2 on MNIST with 100 labels");
            section.Paragraphs.Add(
                "Labels are expensive, unlabelled images are free. Kingma et al.'s M2 is a VAE whose latent is (y, z): on the 100 " +
                "labelled digits it learns y, on the 7,900 unlabelled ones it sums its bound over every class weighted by its own " +
                "classifier q(y|x), so the unlabelled images train the classifier too. This short run (the CI's budget) only starts on " +
                "it, about one point ahead of the labels alone; the longer runs of benchmarks/RESULTS.md reach 14.4 % (8,000 steps) " +
                "and, with a convolutional encoder and classifier, 9.8 % (12,000 steps), against 21–23 % for the labels alone.");
            section.Facts.Add(("held-out error of M2's classifier q(y|x)", $"{r.M2Error:P1}"));
            section.Facts.Add(("… the same network trained on the 100 labels alone", $"{r.BaselineError:P1}"));
            section.Facts.Add(("training", $"{settings.Steps} steps of {settings.LabelledBatch} labelled + {settings.UnlabelledBatch} unlabelled rows in {r.Seconds:F1} s"));
            section.Images.Add(("m2-style-transfer.png",
                "One row per held-out digit: the digit, then its style z (from q(z|x, y)) decoded with each class y = 0 … 9. After " +
                "this short run z still carries most of the class, so many rows keep drawing their own digit; in the longer run of " +
                "benchmarks/RESULTS.md the class follows the column for most cells."));
            Sections.Add(section);
            context.Out.WriteLine($"M2 with 100 labels: {r.M2Error:P1} held-out error (labels only {r.BaselineError:P1}).");
        }

        private static double Value(IReadOnlyList<Metric> metrics, string key) => metrics.First(m => m.Key == key).Value;

        /// <summary>The mean RMS distance (per pixel) between two images of the same label, over at most 30 images per label.</summary>
        private static double Spread(float[] images, int[] labels)
        {
            const int d = 64, cap = 30;
            double sum = 0;
            long pairs = 0;
            foreach (int k in labels.Distinct())
            {
                var rows = new List<int>();
                for (int i = 0; i < labels.Length && rows.Count < cap; i++)
                    if (labels[i] == k) rows.Add(i);
                for (int a = 0; a < rows.Count; a++)
                    for (int b = a + 1; b < rows.Count; b++)
                    {
                        double s2 = 0;
                        for (int j = 0; j < d; j++) { double t = images[rows[a] * d + j] - images[rows[b] * d + j]; s2 += t * t; }
                        sum += Math.Sqrt(s2 / d);
                        pairs++;
                    }
            }
            return pairs == 0 ? 0 : sum / pairs;
        }

        /// <summary>The first <paramref name="shown"/> held-out images (top row) above an unconditional VAE's reconstructions of them (bottom row).</summary>
        private void SaveReconstructions<TVae>(VaeSession<TVae> session, Dataset test, int shown, int side, int scale, string file)
            where TVae : class, IVaeModel
        {
            int d = side * side;
            var pair = new float[2 * shown * d];
            test.Data.AsSpan(0, shown * d).CopyTo(pair);
            session.Reconstruct(test.GetRows(0, shown), ReadOnlySpan2D<float>.Empty, new Span2D<float>(pair, shown * d, shown, d, 0));
            Plots.SaveImageGrid(Path.Combine(outDir, file), pair, side, columns: shown, scale);
        }

        private void SaveLoss(string name, TrainResult result) => Plots.Save(LossPlot(name, result), Path.Combine(outDir, $"{name}-loss.png"));

        private static ScottPlot.Plot LossPlot(string name, TrainResult result) =>
            Plots.LossCurve($"{name}: training loss", result.LossNames, result.LossRows);

        /// <summary>exp(ln p) of the model on a grid over the moons view.</summary>
        private ScottPlot.Plot DensityPlot(ModelSession session, string title)
        {
            var (x0, x1, y0, y1) = s_moonsView;
            int nx = budget.Grid, ny = (int)Math.Round(budget.Grid * (y1 - y0) / (x1 - x0));
            var density = new double[ny, nx];
            var likelihood = (ILikelihood)session;
            int chunk = session.MaxBatch;
            var points = new float[chunk * 2];
            var logp = new float[chunk];
            var noise = new Rng(seed);
            int total = nx * ny;
            for (int start = 0; start < total; start += chunk)
            {
                int rows = Math.Min(chunk, total - start);
                for (int i = 0; i < rows; i++)
                {
                    int cell = start + i;
                    points[2 * i] = (float)(x0 + (cell % nx + 0.5) * (x1 - x0) / nx);
                    points[2 * i + 1] = (float)(y0 + (cell / nx + 0.5) * (y1 - y0) / ny);
                }
                likelihood.LogLikelihood(new ReadOnlySpan2D<float>(points, rows, 2), ReadOnlySpan2D<float>.Empty, logp.AsSpan(0, rows), noise);
                for (int i = 0; i < rows; i++)
                    density[(start + i) / nx, (start + i) % nx] = Math.Exp(logp[i]);
            }
            var plot = Plots.Heatmap(title, density, x0, x1, y0, y1, "p(x)");
            plot.Axes.SquareUnits();
            return plot;
        }

        private static PointSeries Series(ReadOnlySpan<float> rows, string legend, ScottPlot.Color color) =>
            new(Plots.Column(rows, 2, 0), Plots.Column(rows, 2, 1), legend, color);

        private static float[] Select(float[] rows, int[] labels, int k)
        {
            var list = new List<float>();
            for (int i = 0; i < labels.Length; i++)
                if (labels[i] == k) { list.Add(rows[2 * i]); list.Add(rows[2 * i + 1]); }
            return list.ToArray();
        }

        /// <summary>The squared distance from (x, y) to the nearest of the reference's first 2,000 points (of that label if ≥ 0), and its label.</summary>
        private static (double Distance2, int Label) Nearest(float x, float y, Dataset reference, int label = -1)
        {
            int found = -1;
            int m = Math.Min(reference.Rows, 2000);
            double best = double.MaxValue;
            var data = reference.Data;
            for (int r = 0; r < m; r++)
            {
                if (label >= 0 && reference.Labels[r] != label) continue;
                double dx = x - data[2 * r], dy = y - data[2 * r + 1];
                double d2 = dx * dx + dy * dy;
                if (d2 < best) { best = d2; found = reference.HasLabels ? reference.Labels[r] : -1; }
            }
            return (best, found);
        }

        /// <summary>The share of 2-D points within <paramref name="radius"/> of a reference point (of the point's label, when labels are given).</summary>
        private static double OnDataShare(float[] points, Dataset reference, double radius, int[]? labels = null)
        {
            int n = points.Length / 2, near = 0;
            for (int i = 0; i < n; i++)
                if (Nearest(points[2 * i], points[2 * i + 1], reference, labels?[i] ?? -1).Distance2 <= radius * radius) near++;
            return n == 0 ? double.NaN : (double)near / n;
        }

        /// <summary>The share of samples whose nearest reference point has the sample's label.</summary>
        private static double ConditionFidelity(float[] samples, int[] labels, Dataset reference)
        {
            int right = 0;
            for (int i = 0; i < labels.Length; i++)
                if (Nearest(samples[2 * i], samples[2 * i + 1], reference).Label == labels[i]) right++;
            return (double)right / labels.Length;
        }

        /// <summary>A JSON number rounded to 5 decimals, or null for NaN/∞ (which JSON cannot hold).</summary>
        private static JsonNode? Round(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 5)) : null;
        private static string F(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
    }
}
