#!/usr/bin/env bash
# `cohort models` counts what torchvision 0.14 counts (python3-torchvision: sum of p.numel() over
# parameters()), at 3x224x224 (Inception-v3: 3x299x299) and 1000 classes, and says which form it counted; the
# CIFAR forms at 3x32x32 keep the counts of the CIFAR literature; NIN has the count of the paper's released
# CIFAR-10 network (layer by layer in trainer/models/nin.c: 966,986).
source "$(dirname "$0")/lib.sh"
COHORT=$1

# the count `cohort models` prints for MODEL: models_count OUTPUT MODEL
models_count() { awk -v m="$2" '$1 == m {gsub(",", "", $2); print $2}' <<< "$1"; }
models_form() { awk -v m="$2" '$1 == m {print $4}' <<< "$1"; }

imagenet=$("$COHORT" models --input 3x224x224 --classes 1000)
check "cohort models names the input it counted" grep -q '^counted for 3x224x224 input, 1000 classes' <<< "$imagenet"
while read -r model expected; do
  got=$(models_count "$imagenet" "$model")
  check "$model at 3x224x224, 1000 classes: $got parameters, torchvision $expected" test "$got" = "$expected"
done <<'COUNTS'
alexnet 61100840
vgg11 132863336
vgg11_bn 132868840
vgg13 133047848
vgg13_bn 133053736
vgg16 138357544
vgg16_bn 138365992
vgg19 143667240
vgg19_bn 143678248
resnet18 11689512
resnet34 21797672
resnet50 25557032
resnet101 44549160
resnet152 60192808
densenet121 7978856
densenet169 14149480
densenet201 20013928
googlenet 6624904
squeezenet1_0 1248424
squeezenet1_1 1235496
mobilenet_v2 3504872
mobilenet_v3_small 2542856
mobilenet_v3_large 5483032
shufflenet_v2_x0_5 1366792
shufflenet_v2_x1_0 2278604
resnext50_32x4d 25028904
resnext101_32x8d 88791336
COUNTS
check "resnet50 at 224 pixels: the ImageNet stem" test "$(models_form "$imagenet" resnet50)" = "ImageNet"
check "vgg16 at 224 pixels: the ImageNet form without batch norm" grep -q '^vgg16 .* ImageNet  ' <<< "$imagenet"
check "vgg16_bn at 224 pixels: the ImageNet form with batch norm" grep -q '^vgg16_bn .* ImageNet, BN ' <<< "$imagenet"

inception=$("$COHORT" models --input 3x299x299 --classes 1000)
got=$(models_count "$inception" inception_v3)
check "inception_v3 at 3x299x299 without its auxiliary head: $got, torchvision 23834568" test "$got" = 23834568

aux=$("$COHORT" models --input 3x299x299 --classes 1000 --aux true)
got=$(models_count "$aux" inception_v3)
check "inception_v3 at 3x299x299 with its auxiliary head: $got, torchvision 27161264" test "$got" = 27161264
aux=$("$COHORT" models --input 3x224x224 --classes 1000 --aux true)
got=$(models_count "$aux" googlenet)
check "googlenet with its auxiliary classifiers: $got, torchvision 13004888" test "$got" = 13004888

cifar=$("$COHORT" models --input 3x32x32 --classes 10)
while read -r model expected; do
  got=$(models_count "$cifar" "$model")
  check "$model at 3x32x32, 10 classes: $got parameters, expected $expected" test "$got" = "$expected"
done <<'COUNTS'
nin 966986
resnet18 11173962
resnet50 23520842
resnet152 58156618
resnet_cifar 272474
vgg16 14724042
vgg16_bn 14724042
densenet_bc 769162
COUNTS
check "resnet18 at 32 pixels: the CIFAR stem" test "$(models_form "$cifar" resnet18)" = "CIFAR"
check "vgg16 at 32 pixels: the CIFAR form with batch norm" grep -q '^vgg16 .* CIFAR, BN ' <<< "$cifar"

# the stem rule can be overridden either way
forced=$("$COHORT" models --input 3x224x224 --classes 1000 --stem cifar)
check "resnet18 --stem cifar at 224 pixels: 3x3 stem (11,689,512 - 9,408 + 1,728)" \
  test "$(models_count "$forced" resnet18)" = 11681832
forced=$("$COHORT" models --input 3x64x64 --classes 1000 --stem imagenet)
check "resnet18 --stem imagenet at 64 pixels: torchvision's count" test "$(models_count "$forced" resnet18)" = 11689512
# vgg16 at 224 pixels with bn: true is vgg16_bn
forced=$("$COHORT" models --input 3x224x224 --classes 1000 --bn true)
check "vgg16 --bn true equals vgg16_bn" test "$(models_count "$forced" vgg16)" = 138365992
# the CIFAR ResNet family at any 6n+2 depth, by name or by depth
depth=$("$COHORT" models --input 3x32x32 --classes 10 --depth 56)
check "resnet_cifar --depth 56 equals resnet56 (855,770)" test "$(models_count "$depth" resnet_cifar)" = 855770
out=$("$COHORT" models --input 3x32x32 --classes 10 --depth 51 2>&1)
check "resnet_cifar --depth 51 is refused by name: $(grep resnet_cifar <<< "$out")" \
  grep -q '^resnet_cifar .*depth must be 6n+2' <<< "$out"
finish
