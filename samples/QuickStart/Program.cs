using Microsoft.ML;
using MlNetStem;
using MlNetStem.Data;
using MlNetStem.Transforms;
using MlNetStem.Trainers;

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadHer2st("data/her2st/C2").Data;   // Barcode, ArrayX/Y, PixelX/Y, Counts (genes as SlotNames), Image
var test  = ml.Data.LoadHer2st("data/her2st/C3").Data;

var pipeline = ml.Transforms.SelectGenes("Expression", "Counts", top: 250)
    .Append(ml.Transforms.LogNormalize("Expression"))
    .Append(ml.Transforms.DropEmptySpots("Expression"))
    .Append(ml.Transforms.LoadPatches("Patch", "Image", sizeMicrons: 112, sizePixels: 224))
    .Append(ml.Transforms.FeaturizeMorphology("Features", "Patch"))
    .Append(ml.SpatialExpression().Trainers.Ridge("Expression", "Features", "Score"));   // or .Mlp(...), .StemDiffusion(...)

var model = pipeline.Fit(train);                         // whole chain's schema checked before any data is read
ml.SpatialExpression().SaveModel(model, train.Schema, "out/model.zip");   // MlNetStem archive: the whole pipeline
var metrics = ml.SpatialExpression().Evaluate(model.Transform(test), label: "Expression", score: "Score");
Console.WriteLine(metrics.ToJson());

// The trainer alone (Features → Score) is a plain ML.NET model: any ML.NET app loads it with ml.Model.Load.
ml.Model.Save(model.LastTransformer, null, "out/trainer.zip");
ml.SpatialExpression().ExportOnnx(model, "out/trainer.onnx");   // the same for ONNX Runtime
