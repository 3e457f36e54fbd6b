create database lethe_test owner lethe;
